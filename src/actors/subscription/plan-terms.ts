import type { Outcome } from "../../contract/errors";
import { failure, ok } from "../../contract/errors";
import type { PlanTerms } from "../../domain/subscription";
import type { Env } from "../env";
import { planStub } from "../stubs";

/**
 * The price terms a subscription copies from its plan, read from the PlanActor only when a
 * subscription starts or changes plan (the terms never change). An inactive plan is refused.
 */
export async function activePlan(env: Env, planId: string): Promise<Outcome<PlanTerms>> {
  const plan = await planStub(env, planId)?.get(planId);
  if (!plan?.ok) return failure(400, "resource_missing", `No such plan: '${planId}'`, "plan");
  if (!plan.value.active)
    return failure(
      400,
      "plan_inactive",
      `The plan '${planId}' is inactive and cannot be given to subscriptions.`,
      "plan",
    );
  const p = plan.value;
  return ok({
    id: p.id,
    name: p.name,
    currency: p.currency,
    amount: p.amount,
    cadence: { interval: p.interval, intervalCount: p.interval_count },
    trialDays: p.trial_days,
  });
}
