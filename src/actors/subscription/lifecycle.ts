import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok, refused } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Subscription } from "../../contract/subscription";
import type { Decided, Decision, Ledger } from "../../domain/decision";
import { decideCancel, decideResume, decideStart } from "../../domain/lifecycle";
import type { ChargeOrder } from "../../domain/payment-records";
import type { PlanTerms } from "../../domain/subscription";
import type { TaxRateTerms } from "../../domain/tax";
import type { Instant } from "../../domain/time";
import { customerStub, testClockStub } from "../stubs";
import { sendFirstCharge, withFirstAttemptNow } from "./attempt";
import type { RequestContext, VersionedPaymentDetails } from "./context";
import type { Redeemed } from "./discounts";
import { activeTaxRates, applyReservation, redemptionKey, reserveRedemption } from "./discounts";
import { runJobsDue, timeAfterDueJobs } from "./jobs";
import { persist } from "./persist";
import { activePlan } from "./plan-terms";
import { decideClosingUsage, openWindowIfBillable, settleUsage } from "./usage";

export interface CreateSubscriptionInput {
  customer: string;
  plan: string;
  quantity: number;
  trialDays: number | null;
  billingCycleAnchor: Instant | null;
  metadata: Record<string, string>;
  /** A discount from the start (rule 13): a coupon id or a promotion code id. */
  coupon?: string | undefined;
  promotionCode?: string | undefined;
  /** Tax rate ids (rule 16), in order. */
  taxRates?: string[] | undefined;
}

/**
 * Starts subscription `id`: registers it with its customer while its plan and tax rates are
 * read (one round trip), registers it with its test clock, then persists the start decision
 * (state, first invoice with its first attempt's pending payment, jobs, events) in one
 * transaction, sends that charge and writes its answer before answering.
 */
export async function createSubscription(
  ctx: RequestContext,
  id: string,
  input: CreateSubscriptionInput,
  idem: Idempotency | null,
): Promise<Outcome<Subscription>> {
  return ctx.idempotent(idem, async () => {
    if (ctx.store.load()) return failure(409, "resource_already_exists", `Subscription '${id}' already exists`);
    const customer = customerStub(ctx.env, input.customer);
    // The customer's index first: a subscription is never invisible to its customer. The same
    // call answers what the create needs of the customer (its clock, its payment details as of
    // that moment: every later change is pushed here), while the plan and the tax rates are
    // read: one round trip before deciding, not three.
    const [registered, plan, taxRates] = await Promise.all([
      customer?.addSubscription(input.customer, { id, created_ms: Date.now() }),
      activePlan(ctx.env, input.plan),
      activeTaxRates(ctx.env, input.taxRates ?? []),
    ]);
    if (!registered?.ok) return failure(400, "resource_missing", `No such customer: '${input.customer}'`, "customer");
    const outcome = await start(ctx, id, input, idem, registered.value, plan, taxRates);
    // Refused (or not written): the registration is taken back, so a refused create leaves
    // nothing behind. Only a crash in between leaves a reference to no subscription, which
    // the customer tolerates (its pushes and usage forwarding count it done after a minute).
    if (!ctx.store.load()) await customer!.removeSubscription(input.customer, id);
    return outcome;
  });
}

/** What the customer answered to the registration: its clock and its payment details. */
type Registration = { testClock: string | null; details: VersionedPaymentDetails };

/** The create once registered with the customer: its refusals in the order the inputs are listed. */
async function start(
  ctx: RequestContext,
  id: string,
  input: CreateSubscriptionInput,
  idem: Idempotency | null,
  registered: Registration,
  plan: Outcome<PlanTerms>,
  taxRates: Outcome<TaxRateTerms[]>,
): Promise<Outcome<Subscription>> {
  if (!plan.ok) return plan;
  if (!taxRates.ok) return taxRates;
  const { testClock } = registered;
  const now = await ctx.clockNow(testClock);
  const terms = {
    plan: plan.value,
    quantity: input.quantity,
    now,
    trialDays: input.trialDays ?? plan.value.trialDays,
    billingCycleAnchor: input.billingCycleAnchor,
    taxRates: taxRates.value,
  };
  const undiscounted = decideStart(terms);
  if (!undiscounted.ok) return refused(undiscounted.error);
  let redeemed: Redeemed | null = null;
  if (input.coupon !== undefined || input.promotionCode !== undefined) {
    // Rule 13a's minimum_amount: the first invoice's subtotal (after a trial: its first full period).
    const first = undiscounted.decision.issue[0]?.totals.subtotal ?? plan.value.amount * input.quantity;
    const reserved = await reserveRedemption(ctx.env, {
      subscription: id,
      customer: input.customer,
      currency: plan.value.currency,
      key: redemptionKey(id, idem),
      request: { coupon: input.coupon, promotionCode: input.promotionCode },
      now,
      firstInvoiceSubtotal: first,
    });
    if (!reserved.ok) return reserved;
    redeemed = reserved.value;
  }
  const decided = redeemed ? decideStart({ ...terms, discount: redeemed.discount }) : undiscounted;
  if (!decided.ok) {
    await redeemed?.release();
    return refused(decided.error);
  }
  const outcome = await commitStart(ctx, id, input, idem, decided.decision, now, registered, redeemed);
  if (redeemed) await (outcome.ok ? redeemed.confirm() : redeemed.release());
  return outcome;
}

/** Registers the subscription with its test clock, then writes its start in one transaction. */
async function commitStart(
  ctx: RequestContext,
  id: string,
  input: CreateSubscriptionInput,
  idem: Idempotency | null,
  decision: Decision,
  now: Instant,
  { testClock, details }: Registration,
  redeemed: Redeemed | null,
): Promise<Outcome<Subscription>> {
  if (testClock) await (await testClockStub(ctx.env, testClock))?.register(testClock, id);
  let charge: ChargeOrder | null = null;
  const committed = ctx.commit(idem, () => {
    if (ctx.store.load())
      return failure<Subscription>(409, "resource_already_exists", `Subscription '${id}' already exists`);
    if (redeemed && !applyReservation(ctx, redeemed))
      return failure<Subscription>(
        409,
        "redemption_expired",
        "The redemption took too long and was released; retry with a new Idempotency-Key.",
      );
    // The first invoice's first attempt is part of the start (as a renewal's): its pending
    // payment, with its reconcile, is written here, and the charge is sent after the commit.
    const reservation = ctx.store.reserveInvoiceIds(decision.issue.map((invoice) => invoice.draft === true));
    const ids = reservation?.invoices.map((invoice) => invoice.id) ?? [];
    const attempted = withFirstAttemptNow(ctx, decision, ids, now, details);
    charge = attempted.charge;
    persist(ctx, attempted.decision, now, reservation, {
      id,
      customer: input.customer,
      testClock,
      metadata: input.metadata,
      created: now,
      paymentDetails: details,
    });
    openWindowIfBillable(ctx, decision.state, now);
    ctx.markChanged();
    return ok(ctx.view(), 201);
  });
  if (!committed.ok) return committed;
  // The answer shows the first charge's result (rule 9: active, or incomplete with the invoice
  // open). A crash before it is settled leaves the pending payment to its reconcile.
  if (charge) await sendFirstCharge(ctx, charge, now);
  await runJobsDue(ctx, now);
  return ok(ctx.view(), 201);
}

/** Cancels now (with rule 12's final invoice, whose one attempt runs at once), or at the period end. */
export async function cancel(
  ctx: RequestContext,
  id: string,
  atPeriodEnd: boolean,
  idem: Idempotency | null,
): Promise<Outcome<Subscription>> {
  return decisionRequest(ctx, id, idem, (ledger, now) => decideCancel(ledger, atPeriodEnd, now), true, !atPeriodEnd);
}

/** Undoes a cancellation at the period end. */
export async function resume(
  ctx: RequestContext,
  id: string,
  idem: Idempotency | null,
): Promise<Outcome<Subscription>> {
  return decisionRequest(ctx, id, idem, (ledger, now) => decideResume(ledger, now), false);
}

/**
 * A request that is one decision on the subscription, taken on its state inside the
 * transaction: refused, or persisted and answered with the view. `runJobsAfter`: the jobs the
 * decision made due run at once (a cancel's final invoice attempt).
 */
export async function decisionRequest(
  ctx: RequestContext,
  id: string,
  idem: Idempotency | null,
  decide: (ledger: Ledger, now: Instant) => Decided,
  runJobsAfter: boolean,
  /** Rule 14f: the decision closes the usage so far (an immediate cancel). */
  closesUsage = false,
): Promise<Outcome<Subscription>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    const now = await timeAfterDueJobs(ctx, record.testClock);
    const committed = ctx.commit(idem, () => {
      const { decided, closing } = decideClosingUsage(ctx, now, closesUsage, (ledger) => decide(ledger, now));
      if (!decided.ok) return refused<Subscription>(decided.error);
      persist(ctx, decided.decision, now);
      if (closesUsage) settleUsage(ctx, closing, decided.decision, now);
      return ok(ctx.view());
    });
    if (!committed.ok || !runJobsAfter) return committed;
    await runJobsDue(ctx, now);
    return ok(ctx.view());
  });
}
