import type { Outcome } from "../../contract/errors";
import { notFound, ok, refused } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { ChangePreview, Subscription, SubscriptionChange } from "../../contract/subscription";
import type { Decided, Ledger } from "../../domain/decision";
import { finalizeTotals } from "../../domain/invoice";
import { decideChange, rolledForward } from "../../domain/lifecycle";
import { priceLines } from "../../domain/pricing";
import type { PlanTerms } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import type { RequestContext } from "./context";
import { runJobsDue, timeAfterDueJobs } from "./jobs";
import { loadLedger, persist } from "./persist";
import { activePlan } from "./plan-terms";
import { closingUsage, decideClosingUsage, settleUsage, withUsage } from "./usage";
import { adjustmentsView, draftLineView, subscriptionView } from "./views";

/**
 * Changes plan or quantity. The answer carries `invoice` when the change issued one, as it
 * stands after the jobs due then (its payment among them) have run.
 */
export async function change(
  ctx: RequestContext,
  id: string,
  body: SubscriptionChange,
  idem: Idempotency | null,
): Promise<Outcome<Subscription>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    const plan = await newPlan(ctx, body);
    if (!plan.ok) return plan;
    const now = await timeAfterDueJobs(ctx, record.testClock);
    let issued: string | null = null;
    const committed = ctx.commit(idem, () => {
      // Decided on the state as it is now, inside the transaction: a concurrent change
      // that ran while we awaited the plan is never overwritten.
      // Rule 14f: a plan change closes the old plan's usage at t, whatever proration_behavior.
      const state = ctx.store.load()!.state;
      const closes = plan.value !== null && plan.value.id !== state.plan.id && state.status !== "trialing";
      const { decided, closing } = decideClosingUsage(ctx, now, closes, (ledger) =>
        decide(ledger, body, plan.value, now),
      );
      if (!decided.ok) return refused<Subscription>(decided.error);
      issued = persist(ctx, decided.decision, now).invoiceIds[0] ?? null;
      settleUsage(ctx, closing, decided.decision, now);
      return ok(ctx.view());
    });
    if (!committed.ok) return committed;
    await runJobsDue(ctx, now);
    const after = ctx.store.load()!;
    return ok({ ...subscriptionView(after), invoice: issued ? ctx.invoiceOf(issued, after) : null });
  });
}

/**
 * The lines a change would make, without making it: the very decision `change` persists,
 * on the state as it will be at that time (renewals already due rolled forward, in memory).
 * Writes nothing and runs no job.
 */
export async function previewChange(
  ctx: RequestContext,
  id: string,
  body: SubscriptionChange,
): Promise<Outcome<ChangePreview>> {
  const record = ctx.loadFor(id);
  if (!record) return notFound("subscription", id);
  const plan = await newPlan(ctx, body);
  if (!plan.ok) return plan;
  const now = await ctx.clockNow(record.testClock);
  // The usage the change would close (rule 14f), when no renewal is due first.
  const { state } = record;
  const closes =
    plan.value !== null &&
    plan.value.id !== state.plan.id &&
    state.status !== "trialing" &&
    state.currentPeriodEnd > now;
  const closing = closes ? closingUsage(ctx, now) : null;
  const decided = decide(withUsage(rolledForward(loadLedger(ctx), now), closing), body, plan.value, now);
  if (!decided.ok) return refused(decided.error);
  const { decision } = decided;
  const invoice = decision.issue[0];
  // Lines left pending (usage closed by the change first) are priced as an invoice made now would
  // price them (rules 13, 14f, 16).
  const pendingNow = [...(decision.pendingConsumed ? [] : (closing?.lines ?? [])), ...decision.pendingAdded];
  const lines = invoice ? invoice.lines : priceLines(pendingNow, decision.state, now);
  const totals = finalizeTotals(lines, 0);
  return ok({
    object: "change_preview",
    subscription: id,
    currency: record.state.plan.currency,
    lines: lines.map((l, i) => draftLineView(l, `il_preview_${i + 1}`)),
    invoiced_now: invoice !== undefined,
    subtotal: totals.subtotal,
    ...adjustmentsView(lines, decision.state.taxRates),
    total: totals.total,
  });
}

/** The new plan's terms, read from its PlanActor (null to keep the plan). */
async function newPlan(ctx: RequestContext, body: SubscriptionChange): Promise<Outcome<PlanTerms | null>> {
  if (body.plan === undefined) return ok(null);
  return activePlan(ctx.env, body.plan);
}

function decide(ledger: Ledger, body: SubscriptionChange, plan: PlanTerms | null, now: Instant): Decided {
  const newPlan = plan && plan.id !== ledger.state.plan.id ? plan : null;
  return decideChange(ledger, {
    plan: newPlan,
    quantity: body.quantity ?? null,
    prorationBehavior: body.proration_behavior,
    now,
  });
}
