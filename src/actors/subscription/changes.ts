import type { ChangePreview, Subscription, SubscriptionChange } from "../../contract/subscription";
import type { DraftLine } from "../../domain/proration";
import type { Decision, PlanTerms } from "../../domain/subscription";
import { changeSubscription } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import type { Outcome } from "../../errors";
import { failure, notFound, ok } from "../../errors";
import type { Idempotency } from "../actor";
import { apply } from "./billing";
import type { RequestContext } from "./context";
import { settle } from "./jobs";
import { activePlan } from "./plan-terms";
import type { SubscriptionStore } from "./store";
import { lineView, subscriptionView } from "./views";

/** The new plan's terms (null to keep the plan) and the time of the change. */
interface ChangeInputs {
  plan: PlanTerms | null;
  now: Instant;
}

/**
 * Changes plan or quantity. The answer carries `invoice` when the change issued one, as it
 * stands after the jobs due then (its payment among them) have run.
 */
export async function change(ctx: RequestContext, id: string, body: SubscriptionChange, idem: Idempotency | null): Promise<Outcome<Subscription>> {
  return ctx.once(idem, async () => {
    const inputs = await changeInputs(ctx, id, body);
    if (!inputs.ok) return inputs;
    const { now } = inputs.value;
    const latestBefore = ctx.store.load()!.latestInvoice;
    const committed = ctx.commit(idem, () => {
      // Decided on the state as it is now, inside the transaction: a concurrent change
      // that ran while we awaited the plan is never overwritten.
      const decided = decideChange(ctx.store, body, inputs.value);
      if (!decided.ok) return decided;
      apply(ctx, decided.value, now, "subscription.updated");
      return ok(ctx.view());
    });
    if (!committed.ok) return committed;
    await settle(ctx, now);
    const record = ctx.store.load()!;
    const issued = record.latestInvoice !== latestBefore ? record.latestInvoice : null;
    return ok({ ...subscriptionView(record), invoice: issued ? ctx.invoiceOf(issued, record) : null });
  });
}

/** The lines a change would make, without making it. */
export async function previewChange(ctx: RequestContext, id: string, body: SubscriptionChange): Promise<Outcome<ChangePreview>> {
  const inputs = await changeInputs(ctx, id, body);
  if (!inputs.ok) return inputs;
  const decided = decideChange(ctx.store, body, inputs.value);
  if (!decided.ok) return decided;
  const decision = decided.value;
  const record = ctx.store.load()!;
  const lines: DraftLine[] = decision.invoice ? [...decision.invoice.lines, ...ctx.store.pending()] : decision.pending;
  return ok({
    object: "change_preview",
    subscription: id,
    currency: record.state.plan.currency,
    lines: lines.map((l, i) =>
      lineView({ id: `il_preview_${i + 1}`, type: l.type, description: l.description, amount: l.amount, quantity: l.quantity, plan: l.plan, period_start: l.periodStart, period_end: l.periodEnd }),
    ),
    invoiced_now: decision.invoice !== null,
    total: lines.reduce((sum, l) => sum + l.amount, 0),
  });
}

/** What a change needs from outside this actor: the new plan's terms and the time. */
async function changeInputs(ctx: RequestContext, id: string, body: SubscriptionChange): Promise<Outcome<ChangeInputs>> {
  const record = ctx.loadFor(id);
  if (!record) return notFound("subscription", id);
  let plan: PlanTerms | null = null;
  if (body.plan !== undefined) {
    const found = await activePlan(ctx.env, body.plan);
    if (!found.ok) return found;
    plan = found.value;
  }
  return ok({ plan, now: await ctx.currentTime(record.testClock) });
}

/** Decides a change on the current state (synchronous: call it inside the transaction). */
function decideChange(store: SubscriptionStore, body: SubscriptionChange, inputs: ChangeInputs): Outcome<Decision & { ok: true }> {
  const state = store.load()!.state;
  const plan = inputs.plan && inputs.plan.id !== state.plan.id ? inputs.plan : null;
  const decision = changeSubscription(state, { plan, quantity: body.quantity ?? null, prorationBehavior: body.proration_behavior, now: inputs.now });
  if (!decision.ok) return failure(400, decision.error.code, decision.error.message, decision.error.param);
  return ok(decision);
}
