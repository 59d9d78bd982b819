import type { Cadence, Period } from "./billing-period";
import { isShortFirstPeriod, oneIntervalAfter, oneIntervalBefore, periodAt, periodIndexAt } from "./billing-period";
import type { Discount, LineDiscount } from "./discount";
import type { BillingReason } from "./invoice";
import { shouldInvoicePendingAtEnd } from "./invoice";
import type { DraftLine, PricedItem } from "./proration";
import { partialPeriodLine, subscriptionLine } from "./proration";
import type { TaxRateTerms } from "./tax";
import type { Instant } from "./time";
import { SECONDS_PER_DAY } from "./time";
import type { ChargeSpec } from "./usage/lines";

export type SubscriptionStatus =
  | "trialing"
  | "active"
  | "incomplete"
  | "incomplete_expired"
  | "past_due"
  | "unpaid"
  | "canceled";

export type ProrationBehavior = "create_prorations" | "always_invoice" | "none";

/** The price terms a subscription keeps from its plan (they never change on the plan). */
export interface PlanTerms {
  id: string;
  name: string;
  currency: string;
  amount: number;
  cadence: Cadence;
  trialDays: number;
  /** Usage charges (docs/billing-rules.md rule 14), billed in arrears; absent or empty: none. */
  charges?: readonly ChargeSpec[];
}

/** Rule 15: what becomes of the invoices made while collection is paused. */
export type PauseBehavior = "keep_as_draft" | "mark_uncollectible" | "void";

export interface PauseCollection {
  behavior: PauseBehavior;
  /** When the pause ends by itself (the `resume_collection` job); null: only on request. */
  resumesAt: Instant | null;
}

export interface SubscriptionState {
  plan: PlanTerms;
  quantity: number;
  status: SubscriptionStatus;
  /** The start of the first full period; periods are computed from it (rule 1). */
  anchor: Instant;
  currentPeriodStart: Instant;
  currentPeriodEnd: Instant;
  trialStart: Instant | null;
  trialEnd: Instant | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Instant | null;
  endedAt: Instant | null;
  creditBalance: number;
  /** Rule 13: the discount (null: none); it may have ended (see `currentDiscount`). */
  discount: Discount | null;
  /** Rule 16: the rates of every invoice from now on, terms copied (they never change). */
  taxRates: TaxRateTerms[];
  /** Rule 13d: the discount the current period's `subscription` line received (what its credit carries). */
  periodDiscount: LineDiscount | null;
  /** Rule 15: collection paused, or null. */
  pauseCollection: PauseCollection | null;
}

export interface InvoiceDraft {
  reason: BillingReason;
  period: Period;
  /** Lines made by this decision; the actor adds every pending line to them. */
  lines: DraftLine[];
}

/**
 * The domain's refusal of a request. `conflict`: the request is fine but the state forbids it
 * right now (answered 409; it may succeed later); otherwise the request itself is refused (400).
 */
export type DomainError = { code: string; message: string; param?: string; conflict?: true };

/** What one rule changes in the state, and the invoice and lines it makes (see decision.ts for all effects). */
export type Transition =
  | {
      ok: true;
      state: SubscriptionState;
      invoice: InvoiceDraft | null;
      pending: DraftLine[];
      /** Rule 12: pending lines dropped as the subscription ends (their sum was not positive). */
      dropped?: DraftLine[];
      /** Rule 9: a renewal that fell due while incomplete, held until the first invoice is paid. */
      held?: true;
    }
  | { ok: false; error: DomainError };

/** subscription.trial_will_end fires 3 days before the trial ends (docs/billing-rules.md, Events). */
export const TRIAL_WILL_END_NOTICE = 3 * SECONDS_PER_DAY;

const ENDED: ReadonlySet<SubscriptionStatus> = new Set(["canceled", "incomplete_expired"]);

export function isEnded(status: SubscriptionStatus): boolean {
  return ENDED.has(status);
}

export function pricedItem(plan: PlanTerms, quantity: number): PricedItem {
  return { planId: plan.id, planName: plan.name, amount: plan.amount, quantity };
}

export interface StartInput {
  plan: PlanTerms;
  /** The discount given at creation (rule 13b: it takes the first invoice) and the tax rates. */
  discount?: Discount | null;
  taxRates?: TaxRateTerms[];
  quantity: number;
  now: Instant;
  trialDays: number;
  billingCycleAnchor: Instant | null;
}

/**
 * A new subscription (rules 1, 2, 6, 7): with a trial, no invoice until the trial ends;
 * with a later billing_cycle_anchor, a shorter first period [now, anchor) at a prorated
 * price; otherwise a full first period from now, invoiced at once.
 */
export function startSubscription(input: StartInput): Transition {
  const started = startTransition(input);
  // Rule 14e: a plan with usage charges and nothing due in advance makes no invoice at the start.
  if (started.ok && started.invoice && hasCharges(input.plan) && input.plan.amount * input.quantity === 0)
    return { ...started, invoice: null };
  return started;
}

export function hasCharges(plan: PlanTerms): boolean {
  return (plan.charges?.length ?? 0) > 0;
}

function startTransition(input: StartInput): Transition {
  const { plan, quantity, now, trialDays, billingCycleAnchor } = input;
  const base = {
    plan,
    quantity,
    cancelAtPeriodEnd: false,
    canceledAt: null,
    endedAt: null,
    creditBalance: 0,
    discount: input.discount ?? null,
    taxRates: input.taxRates ?? [],
    periodDiscount: null,
    pauseCollection: null,
  };
  if (trialDays > 0) {
    if (billingCycleAnchor !== null) {
      return refusal(
        "parameter_conflict",
        "billing_cycle_anchor cannot be combined with a trial; pass trial_days: 0",
        "billing_cycle_anchor",
      );
    }
    const trialEnd = now + trialDays * SECONDS_PER_DAY;
    return {
      ok: true,
      state: {
        ...base,
        status: "trialing",
        anchor: trialEnd,
        currentPeriodStart: now,
        currentPeriodEnd: trialEnd,
        trialStart: now,
        trialEnd,
      },
      invoice: null,
      pending: [],
    };
  }
  if (billingCycleAnchor !== null) {
    if (billingCycleAnchor <= now)
      return refusal("parameter_invalid", "billing_cycle_anchor must be in the future", "billing_cycle_anchor");
    if (billingCycleAnchor > oneIntervalAfter(now, plan.cadence)) {
      return refusal(
        "parameter_invalid",
        "billing_cycle_anchor must fall within one billing interval from now",
        "billing_cycle_anchor",
      );
    }
    const period = { start: now, end: billingCycleAnchor };
    // Rule 6: an anchor exactly one interval away (Jan 31 → Feb 28) is a full first period.
    const line = isShortFirstPeriod(period, billingCycleAnchor, plan.cadence)
      ? partialPeriodLine(pricedItem(plan, quantity), period, oneIntervalBefore(billingCycleAnchor, plan.cadence))
      : subscriptionLine(pricedItem(plan, quantity), period);
    return {
      ok: true,
      state: {
        ...base,
        status: "active",
        anchor: billingCycleAnchor,
        currentPeriodStart: now,
        currentPeriodEnd: billingCycleAnchor,
        trialStart: null,
        trialEnd: null,
      },
      invoice: { reason: "subscription_create", period, lines: [line] },
      pending: [],
    };
  }
  const period = periodAt(now, plan.cadence, 0);
  return {
    ok: true,
    state: {
      ...base,
      status: "active",
      anchor: now,
      currentPeriodStart: period.start,
      currentPeriodEnd: period.end,
      trialStart: null,
      trialEnd: null,
    },
    invoice: { reason: "subscription_create", period, lines: [subscriptionLine(pricedItem(plan, quantity), period)] },
    pending: [],
  };
}

/**
 * Renewal at current_period_end (rules 2, 3). Cancels instead when cancel_at_period_end is
 * set. Periods come from the anchor, so a late alarm never shifts the cycle.
 */
export function renew(state: SubscriptionState, pending: readonly DraftLine[] = []): Transition {
  if (isEnded(state.status)) return refusal("subscription_ended", "the subscription has ended");
  const at = state.currentPeriodEnd;
  if (state.cancelAtPeriodEnd) return end({ ...state, status: "canceled", endedAt: at }, pending, at);
  // Rule 9: while incomplete no other invoice is made; the renewal waits for the first payment.
  if (state.status === "incomplete") return { ok: true, state, invoice: null, pending: [], held: true };
  const k = periodIndexAt(state.anchor, state.plan.cadence, at);
  const period = periodAt(state.anchor, state.plan.cadence, k);
  const status: SubscriptionStatus = state.status === "trialing" ? "active" : state.status;
  const next = { ...state, status, currentPeriodStart: period.start, currentPeriodEnd: period.end };
  // Rule 14e: the end of a trial starts billing like a start does: a usage-only plan owes
  // nothing in advance, and the trial's usage is free, so no invoice unless lines are pending.
  if (
    state.status === "trialing" &&
    hasCharges(state.plan) &&
    state.plan.amount * state.quantity === 0 &&
    pending.length === 0
  )
    return { ok: true, state: next, invoice: null, pending: [] };
  return {
    ok: true,
    state: next,
    invoice: {
      reason: "subscription_cycle",
      period,
      lines: [subscriptionLine(pricedItem(state.plan, state.quantity), period)],
    },
    pending: [],
  };
}

/** Rule 10 and cancel at period end (rule 3); ending now bills what is pending (rule 12). */
export function cancelSubscription(
  state: SubscriptionState,
  atPeriodEnd: boolean,
  now: Instant,
  pending: readonly DraftLine[] = [],
): Transition {
  if (isEnded(state.status)) return refusal("subscription_ended", `the subscription is already ${state.status}`);
  if (atPeriodEnd) {
    return { ok: true, state: { ...state, cancelAtPeriodEnd: true, canceledAt: now }, invoice: null, pending: [] };
  }
  return end({ ...state, status: "canceled", cancelAtPeriodEnd: false, canceledAt: now, endedAt: now }, pending, now);
}

/**
 * Rule 12: the end of a subscription at `at` with these lines pending. A positive sum is
 * invoiced at once on a final invoice (the actor adds the pending lines, rule 2's sweep);
 * otherwise they are dropped and the decision says which.
 */
function end(ended: SubscriptionState, pending: readonly DraftLine[], at: Instant): Transition {
  if (pending.length > 0 && shouldInvoicePendingAtEnd(pending)) {
    return {
      ok: true,
      state: ended,
      invoice: { reason: "subscription_final", period: { start: at, end: at }, lines: [] },
      pending: [],
    };
  }
  return { ok: true, state: ended, invoice: null, pending: [], dropped: [...pending] };
}

/**
 * Whether pending lines may be invoiced now (billing_reason manual). Not once ended, and not
 * while incomplete: rule 9 lets an incomplete subscription leave that state only by paying
 * its first invoice or at that invoice's expiry, so it may owe no other invoice meanwhile.
 */
export function manualInvoiceRefusal(status: SubscriptionStatus): DomainError | null {
  if (isEnded(status)) return { code: "subscription_ended", message: `the subscription is ${status}` };
  if (status === "incomplete") {
    return {
      code: "invalid_status",
      message: "an incomplete subscription can be invoiced only once its first invoice is paid",
    };
  }
  return null;
}

/** Clears a scheduled cancellation while the subscription has not ended. */
export function resumeSubscription(state: SubscriptionState): Transition {
  if (isEnded(state.status)) return refusal("subscription_ended", `the subscription is already ${state.status}`);
  return { ok: true, state: { ...state, cancelAtPeriodEnd: false, canceledAt: null }, invoice: null, pending: [] };
}

export function refusal(code: string, message: string, param?: string): Transition {
  return { ok: false, error: { code, message, ...(param ? { param } : {}) } };
}
