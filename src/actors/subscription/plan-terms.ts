import { chargePriceSpecOf } from "../../contract/charge-price";
import type { Outcome } from "../../contract/errors";
import { failure, ok } from "../../contract/errors";
import type { PlanTerms } from "../../domain/subscription";
import type { ChargeSpec } from "../../domain/usage/lines";
import type { Env } from "../env";
import { meterStub, planStub } from "../stubs";

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
  const charges: ChargeSpec[] = [];
  for (const charge of p.charges) {
    const meter = await meterStub(env, charge.meter)?.get(charge.meter);
    if (!meter?.ok)
      return failure(400, "resource_missing", `The plan's meter '${charge.meter}' does not exist`, "plan");
    charges.push({
      meter: meter.value.id,
      eventName: meter.value.event_name,
      meterName: meter.value.display_name,
      aggregation: meter.value.aggregation,
      price: chargePriceSpecOf(charge),
    });
  }
  return ok({
    id: p.id,
    name: p.name,
    currency: p.currency,
    amount: p.amount,
    cadence: { interval: p.interval, intervalCount: p.interval_count },
    trialDays: p.trial_days,
    ...(charges.length > 0 ? { charges } : {}),
  });
}
