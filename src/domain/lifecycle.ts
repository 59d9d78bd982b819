import type { ChangeInput } from "./change";
import { changeSubscription } from "./change";
import type { Decided, Decision, Ledger } from "./decision";
import { DecisionBuilder, refuse } from "./decision";
import type { Discount } from "./discount";
import { currentDiscount } from "./discount";
import type { DraftLine } from "./proration";
import type { StartInput, SubscriptionState, Transition } from "./subscription";
import {
  cancelSubscription,
  isEnded,
  manualInvoiceRefusal,
  renew,
  resumeSubscription,
  startSubscription,
  TRIAL_WILL_END_NOTICE,
} from "./subscription";
import type { TaxRateTerms } from "./tax";
import type { Instant } from "./time";
import { toIso } from "./time";

// Every operation on a subscription's lifecycle as one Decision (see decision.ts): the
// transition of subscription.ts (state, invoice, lines) with all its effects.

type Accepted = Extract<Transition, { ok: true }>;

/**
 * Writes a transition into the builder: the state, its subscription event first (docs/billing-rules.md, Events),
 * then its invoice (with every pending line) and the renewal job, or the end (rule 12).
 */
function applyTransition(
  b: DecisionBuilder,
  t: Accepted,
  at: Instant,
  event: "subscription.created" | "subscription.updated" | "subscription.canceled",
): void {
  if (t.held) {
    b.cancel("renew");
    return;
  }
  b.state = t.state;
  b.addPending(t.pending);
  const dropped = t.dropped ?? [];
  if (isEnded(t.state.status)) b.end(t.state.status, at);
  else b.schedule("renew", t.state.currentPeriodEnd);
  if (dropped.length > 0) b.consumePending();
  b.emitSubscription(event, dropped.length > 0 ? { pending_lines_dropped: dropped.map(draftLineFields) } : undefined);
  if (t.invoice) b.issueInvoice(t.invoice, at);
}

/**
 * A line not yet stored, as the API shows it (without id): what a subscription.canceled event
 * shows of the pending lines it dropped (rule 12), and the body of a preview's line.
 */
export function draftLineFields(line: DraftLine) {
  return {
    type: line.type,
    description: line.description,
    amount: line.amount,
    quantity: line.quantity,
    plan: line.plan,
    period_start: toIso(line.periodStart),
    period_end: toIso(line.periodEnd),
    // A usage line's meter, charge index and aggregated quantity (docs/billing-rules.md rule 14).
    ...(line.usage ? { meter: line.usage.meter, charge: line.usage.charge, usage_quantity: line.usage.quantity } : {}),
  };
}

function decided(
  t: Transition,
  ledger: Ledger,
  at: Instant,
  event: (t: Accepted) => Parameters<typeof applyTransition>[3],
): Decided {
  if (!t.ok) return { ok: false, error: t.error };
  const b = new DecisionBuilder(ledger);
  applyTransition(b, t, at, event(t));
  return { ok: true, decision: b.decision };
}

const endedOrUpdated = (t: Accepted) =>
  t.state.status === "canceled" ? "subscription.canceled" : "subscription.updated";

/** A new subscription (rules 1, 2, 6, 7), its first invoice, and the trial reminder 3 days before the trial ends. */
export function decideStart(input: StartInput): Decided {
  const t = startSubscription(input);
  if (!t.ok) return { ok: false, error: t.error };
  const b = new DecisionBuilder({ state: t.state, pending: [], openInvoices: [] });
  applyTransition(b, t, input.now, "subscription.created");
  const trialEnd = t.state.trialEnd;
  if (trialEnd !== null && trialEnd - TRIAL_WILL_END_NOTICE > input.now)
    b.schedule("trial_will_end", trialEnd - TRIAL_WILL_END_NOTICE);
  scheduleDiscountEnd(b);
  return { ok: true, decision: b.decision };
}

/**
 * The renewal due at `at` (rule 3): the next period's invoice, the end (with
 * cancel_at_period_end), or, while incomplete, nothing yet (rule 9). A renewal whose time is
 * no longer the period end was done already: it only clears its job (alarms are at-least-once).
 */
export function decideRenewal(ledger: Ledger, at: Instant): Decision {
  const { state } = ledger;
  if (state.currentPeriodEnd !== at || isEnded(state.status)) {
    const b = new DecisionBuilder(ledger);
    b.cancel("renew");
    return b.decision;
  }
  const result = decided(renew(state, ledger.pending), ledger, at, endedOrUpdated);
  return result.ok ? result.decision : new DecisionBuilder(ledger).decision;
}

/** The invoice the next renewal will make, as that very renewal would make it (for invoice.upcoming). */
export function upcomingRenewal(ledger: Ledger): Decision | null {
  if (isEnded(ledger.state.status)) return null;
  const decision = decideRenewal(ledger, ledger.state.currentPeriodEnd);
  return decision.issue.length > 0 ? decision : null;
}

/** A plan or quantity change at `change.now` (rules 4, 5, 7). */
export function decideChange(ledger: Ledger, change: ChangeInput): Decided {
  return decided(changeSubscription(ledger.state, change), ledger, change.now, () => "subscription.updated");
}

/** Cancels now (rule 10, with rule 12's final invoice) or at the period end (rule 3). */
export function decideCancel(ledger: Ledger, atPeriodEnd: boolean, now: Instant): Decided {
  return decided(cancelSubscription(ledger.state, atPeriodEnd, now, ledger.pending), ledger, now, endedOrUpdated);
}

export function decideResume(ledger: Ledger, now: Instant): Decided {
  return decided(resumeSubscription(ledger.state), ledger, now, () => "subscription.updated");
}

/** A one-off line left pending for the next invoice. */
export function decideInvoiceItem(
  ledger: Ledger,
  item: { amount: number; description: string },
  now: Instant,
): Decided {
  if (isEnded(ledger.state.status)) return refuse("subscription_ended", `the subscription is ${ledger.state.status}`);
  const b = new DecisionBuilder(ledger);
  b.addPending([
    {
      type: "invoice_item",
      description: item.description,
      amount: item.amount,
      quantity: 1,
      plan: null,
      periodStart: now,
      periodEnd: now,
    },
  ]);
  return { ok: true, decision: b.decision };
}

/** Bills every pending line now (billing_reason manual). */
export function decideInvoiceNow(ledger: Ledger, now: Instant): Decided {
  const refusal = manualInvoiceRefusal(ledger.state.status);
  if (refusal) return { ok: false, error: refusal };
  if (ledger.pending.length === 0) return refuse("nothing_to_invoice", "There are no pending lines to invoice.");
  const b = new DecisionBuilder(ledger);
  b.issueInvoice({ reason: "manual", period: { start: now, end: now }, lines: [] }, now);
  return { ok: true, decision: b.decision };
}

/** subscription.trial_will_end, 3 days before the trial ends (docs/billing-rules.md, Events). */
export function decideTrialReminder(ledger: Ledger): Decision {
  const b = new DecisionBuilder(ledger);
  b.cancel("trial_will_end");
  if (!isEnded(ledger.state.status)) b.emitSubscription("subscription.trial_will_end");
  return b.decision;
}

/** Rule 9: the renewals held while incomplete, made at `at` once the first invoice is paid. */
export function releaseHeldRenewals(b: DecisionBuilder, at: Instant): void {
  while (!isEnded(b.state.status) && b.state.status !== "incomplete" && b.state.currentPeriodEnd <= at) {
    const t = renew(b.state, b.pendingLines());
    if (!t.ok || t.held) break;
    applyTransition(b, t, at, endedOrUpdated(t));
  }
}

/**
 * The state as it will be at `now` once the renewals already due have run (periods only: no
 * payment is assumed). A preview made a moment after the period ended, before the alarm,
 * prices the change in the new period without running (or writing) anything.
 */
export function rolledForward(ledger: Ledger, now: Instant): Ledger {
  let state: SubscriptionState = ledger.state;
  let pending = ledger.pending;
  while (!isEnded(state.status) && state.status !== "incomplete" && state.currentPeriodEnd <= now) {
    const t = renew(state, pending);
    if (!t.ok || t.held) break;
    state = t.state;
    pending = [];
  }
  return { ...ledger, state, pending };
}

/**
 * Rule 14g: late usage lines. Pending for the next invoice; once the subscription has ended
 * (its last invoice made), invoiced at once (billing_reason manual, attempted once).
 */
export function decideLateUsage(ledger: Ledger, lines: readonly DraftLine[], now: Instant): Decision {
  const b = new DecisionBuilder(ledger);
  if (isEnded(ledger.state.status))
    b.issueInvoice({ reason: "manual", period: { start: now, end: now }, lines: [...lines] }, now);
  else b.addPending(lines);
  return b.decision;
}

/**
 * Rule 13b: applies `discount` (replacing any other, which ends now) or, with null, ends the
 * current one now. Emits subscription.updated; ending none changes nothing. A repeating
 * discount's end is a job (`decideDiscountEnd`).
 */
export function decideDiscount(ledger: Ledger, discount: Discount | null, now: Instant): Decided {
  const { state } = ledger;
  if (isEnded(state.status)) return refuse("subscription_ended", `the subscription is ${state.status}`);
  const current = currentDiscount(state.discount, now);
  const b = new DecisionBuilder(ledger);
  if (discount === null && current === null) return { ok: true, decision: b.decision };
  // Ending one drops it (its invoices keep what it took); a new one replaces it.
  b.state = { ...state, discount };
  b.cancel("discount_end");
  scheduleDiscountEnd(b);
  b.emitSubscription("subscription.updated");
  return { ok: true, decision: b.decision };
}

/** A discount with an end still to come (repeating) ends by a job, which reports it. */
function scheduleDiscountEnd(b: DecisionBuilder): void {
  const end = b.state.discount?.end ?? null;
  if (end !== null && !isEnded(b.state.status) && currentDiscount(b.state.discount, end - 1) !== null)
    b.schedule("discount_end", end);
}

/**
 * Rule 13b: a repeating discount reaches its end. It is dropped from the state and
 * subscription.updated reports it (as applying or ending one by request does).
 */
export function decideDiscountEnd(ledger: Ledger, at: Instant): Decision {
  const b = new DecisionBuilder(ledger);
  b.cancel("discount_end");
  const { discount, status } = ledger.state;
  if (isEnded(status) || discount === null || discount.end === null || discount.end > at) return b.decision;
  b.state = { ...ledger.state, discount: null };
  b.emitSubscription("subscription.updated");
  return b.decision;
}

/** Rule 16: the rates of every invoice from now on (no proration). Emits subscription.updated. */
export function decideTaxRates(ledger: Ledger, taxRates: TaxRateTerms[]): Decided {
  const { state } = ledger;
  if (isEnded(state.status)) return refuse("subscription_ended", `the subscription is ${state.status}`);
  const b = new DecisionBuilder(ledger);
  b.state = { ...state, taxRates };
  b.emitSubscription("subscription.updated");
  return { ok: true, decision: b.decision };
}
