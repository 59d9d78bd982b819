import type { Period } from "./billing-period";
import { afterInvoice, discountAppliesAt } from "./discount";
import { shouldAttemptAutomatically } from "./dunning";
import type { BillingReason, InvoiceStatus, InvoiceTotals } from "./invoice";
import { creditReturnedOnClose, finalizeTotals } from "./invoice";
import type { PaymentDetailsCopy } from "./payment-details";
import type { NewPayment, PaymentSettlement, RefundFailure, RefundRecorded } from "./payment-records";
import type { PricedLine } from "./pricing";
import { lineDiscountTotal, priceLines } from "./pricing";
import type { DraftLine } from "./proration";
import type { DomainError, InvoiceDraft, SubscriptionState, SubscriptionStatus } from "./subscription";
import type { Instant } from "./time";

// A Decision is everything one operation does, decided up front by a pure function: the new
// state, the invoices it issues, the changes to existing invoices, the pending lines it adds
// or consumes, the events it emits in causal order, and the jobs it schedules or cancels.
// The subscription actor writes all of it with one `persist(decision)` in one transaction,
// so no caller can forget an event or a job, and a preview runs the very decision it shows.

export type EventType =
  | "subscription.created"
  | "subscription.updated"
  | "subscription.canceled"
  | "subscription.trial_will_end"
  | "invoice.created"
  | "invoice.finalized"
  | "invoice.paid"
  | "invoice.payment_failed"
  | "invoice.voided"
  | "invoice.marked_uncollectible"
  | "invoice.upcoming"
  | "payment.succeeded"
  | "payment.failed"
  | "payment.refund_failed"
  | "payment.needs_attention";

/** An invoice this decision issues (`issued`: its index in `issue`), or one that exists. */
export type InvoiceRef = { issued: number } | { id: string };

/**
 * Whose state an event carries; the actor renders it as it stands once the decision is written
 * (`upcoming`: the invoice the next renewal will make, src/actors/subscription/upcoming.ts).
 */
export type EventSubject = { subscription: true } | { invoice: InvoiceRef } | { payment: string } | { upcoming: true };

export interface EventIntent {
  type: EventType;
  subject: EventSubject;
  /** More fields for the event's `data`, beside `object` (rule 12's dropped lines). */
  extra?: Record<string, unknown>;
}

/** `invoice_upcoming` is no row: its due time is derived from the state (`upcomingDueAt`), moved past by `decideUpcomingNotice`. */
export type JobKind =
  | "renew"
  | "retry_payment"
  | "reconcile_payment"
  | "expire_incomplete"
  | "trial_will_end"
  | "discount_end"
  | "invoice_upcoming"
  | "refund_payment"
  /** Rule 15: the end of a pause at its `resumes_at`. */
  | "resume_collection";

export type JobChange =
  | { op: "schedule"; kind: JobKind; dueAt: Instant; invoice: InvoiceRef | null }
  | { op: "cancel"; kind: JobKind; invoice: InvoiceRef | null };

/**
 * The jobs an invoice paid or closed no longer needs. Its `reconcile_payment` and
 * `refund_payment` jobs survive: money in flight is settled whatever happened to the invoice.
 */
const JOBS_STOPPED_BY_CLOSE: readonly JobKind[] = ["retry_payment", "expire_incomplete"];

/**
 * A job that ran and is still due at the same time has nothing left to do: the decision drops
 * it, so the job loop never spins (`invoiceId` "" for a subscription's own job).
 */
export function decideJobLeftDue(ledger: Ledger, kind: JobKind, invoiceId: string): Decision {
  const b = new DecisionBuilder(ledger);
  // A derived job (no row to delete) is dropped by marking its period announced.
  if (kind === "invoice_upcoming") b.decision.upcomingSentFor = ledger.state.currentPeriodEnd;
  else b.cancel(kind, invoiceId === "" ? null : { id: invoiceId });
  return b.decision;
}

export interface IssuedInvoice {
  reason: BillingReason;
  period: Period;
  currency: string;
  lines: PricedLine[];
  totals: InvoiceTotals;
  /** Set when nothing is due: the invoice is born paid. */
  paidAt: Instant | null;
  /** Rule 15 (`keep_as_draft`): stored as a `draft`, with no number and no credit applied yet. */
  draft?: true;
  /** Attempts already counted as it is written: its first, made in the issuing decision (`withFirstAttempt`). */
  attemptCount?: number;
}

export interface InvoiceUpdate {
  invoice: InvoiceRef;
  status?: InvoiceStatus;
  amountPaid?: number;
  /** Attempts made on it (the gateway key's number). */
  attemptCount?: number;
  paidAt?: Instant;
  voidedAt?: Instant;
  nextPaymentAttempt?: Instant | null;
  /** A draft finalized (rule 15): it takes the next number of the sequence now. */
  finalizedAt?: Instant;
  creditApplied?: number;
  amountDue?: number;
}

export interface Decision {
  state: SubscriptionState;
  issue: IssuedInvoice[];
  invoiceUpdates: InvoiceUpdate[];
  /** True when the pending lines that existed before were consumed (swept into an invoice, or dropped). */
  pendingConsumed: boolean;
  pendingAdded: DraftLine[];
  events: EventIntent[];
  jobs: JobChange[];
  paymentsAdded: NewPayment[];
  paymentsSettled: PaymentSettlement[];
  refundsRecorded: RefundRecorded[];
  /** Payments whose refund try did not go through (one more try counted each). */
  refundTries: string[];
  refundsFailed: RefundFailure[];
  /** Pending payments past the reconcile window, flagged for an operator. */
  paymentsFlagged: string[];
  /** A newer copy of the customer's payment details to keep (`decidePaymentDetailsCopy`). */
  paymentDetails?: PaymentDetailsCopy;
  /** The period end the `invoice.upcoming` notice announced (`decideUpcomingNotice`). */
  upcomingSentFor?: Instant;
}

/** What a decision reads about an existing invoice. */
export interface InvoiceFacts {
  id: string;
  status: InvoiceStatus;
  billingReason: BillingReason;
  currency: string;
  created: Instant;
  amountDue: number;
  amountPaid: number;
  creditApplied: number;
  attemptCount: number;
}

/** What a decision reads besides the state: the pending lines and the open invoices. */
export interface Ledger {
  state: SubscriptionState;
  pending: readonly DraftLine[];
  openInvoices: readonly InvoiceFacts[];
}

export type Decided = { ok: true; decision: Decision } | { ok: false; error: DomainError };

export function refuse(code: string, message: string, param?: string): Decided {
  return { ok: false, error: { code, message, ...(param ? { param } : {}) } };
}

/**
 * Builds a Decision step by step (pure: it only collects). `pending` is what is still pending
 * at this point of the decision; issuing an invoice sweeps it (rule 2).
 */
export class DecisionBuilder {
  readonly decision: Decision;
  private pending: DraftLine[];
  private readonly open: InvoiceFacts[];

  constructor(ledger: Ledger) {
    this.decision = {
      state: ledger.state,
      issue: [],
      invoiceUpdates: [],
      pendingConsumed: false,
      pendingAdded: [],
      events: [],
      jobs: [],
      paymentsAdded: [],
      paymentsSettled: [],
      refundsRecorded: [],
      refundTries: [],
      refundsFailed: [],
      paymentsFlagged: [],
    };
    this.pending = [...ledger.pending];
    this.open = [...ledger.openInvoices];
  }

  get state(): SubscriptionState {
    return this.decision.state;
  }

  set state(state: SubscriptionState) {
    this.decision.state = state;
  }

  /** Existing invoices still open at this point of the decision. */
  openInvoices(): readonly InvoiceFacts[] {
    return this.open;
  }

  pendingLines(): readonly DraftLine[] {
    return this.pending;
  }

  emit(type: EventType, subject: EventSubject, extra?: Record<string, unknown>): void {
    this.decision.events.push(extra ? { type, subject, extra } : { type, subject });
  }

  emitSubscription(type: EventType, extra?: Record<string, unknown>): void {
    this.emit(type, { subscription: true }, extra);
  }

  schedule(kind: JobKind, dueAt: Instant, invoice: InvoiceRef | null = null): void {
    this.decision.jobs.push({ op: "schedule", kind, dueAt, invoice });
  }

  cancel(kind: JobKind, invoice: InvoiceRef | null = null): void {
    this.decision.jobs.push({ op: "cancel", kind, invoice });
  }

  addPending(lines: readonly DraftLine[]): void {
    this.pending.push(...lines);
    this.decision.pendingAdded.push(...lines);
  }

  /** Drops every pending line; returns them. */
  consumePending(): DraftLine[] {
    const consumed = this.pending;
    this.pending = [];
    this.decision.pendingConsumed = true;
    this.decision.pendingAdded = [];
    return consumed;
  }

  addPayment(payment: NewPayment): void {
    this.decision.paymentsAdded.push(payment);
  }

  settlePayment(settlement: PaymentSettlement): void {
    this.decision.paymentsSettled.push(settlement);
  }

  recordRefund(refund: RefundRecorded): void {
    this.decision.refundsRecorded.push(refund);
  }

  countRefundTry(paymentId: string): void {
    this.decision.refundTries.push(paymentId);
  }

  failRefund(failure: RefundFailure): void {
    this.decision.refundsFailed.push(failure);
  }

  flagForAttention(paymentId: string): void {
    this.decision.paymentsFlagged.push(paymentId);
  }

  updateInvoice(update: InvoiceUpdate): void {
    this.decision.invoiceUpdates.push(update);
  }

  /** An existing invoice is no longer open (paid, void, uncollectible). */
  closed(invoiceId: string): void {
    const at = this.open.findIndex((i) => i.id === invoiceId);
    if (at >= 0) this.open.splice(at, 1);
    for (const kind of JOBS_STOPPED_BY_CLOSE) this.cancel(kind, { id: invoiceId });
  }

  /**
   * Rules 2, 13, 16 and 8: issues an invoice of the draft's lines plus every pending line,
   * discounted and taxed as the subscription's terms at `at` say, credit applied, finalized (`paid` when nothing is due), with its first attempt scheduled now.
   * Emits invoice.created < invoice.finalized (< invoice.paid).
   */
  issueInvoice(draft: InvoiceDraft, at: Instant): InvoiceRef {
    const lines = priceLines([...draft.lines, ...this.consumePending()], this.state, at);
    // Rule 13b/d: a draft takes the discount too (its totals are kept for its finalization).
    this.state = { ...this.state, ...this.discountAfter(lines, at) };
    const pause = this.state.pauseCollection;
    const ref = { issued: this.decision.issue.length };
    const common = { reason: draft.reason, period: draft.period, currency: this.state.plan.currency, lines };
    if (pause?.behavior === "keep_as_draft") {
      // Rule 15: a draft has no number, no credit applied and no attempt until it is finalized.
      const totals = finalizeTotals(lines, 0);
      this.decision.issue.push({
        ...common,
        totals: { ...totals, amountDue: Math.max(0, totals.total) },
        paidAt: null,
        draft: true,
      });
      this.emit("invoice.created", { invoice: ref });
      return ref;
    }
    const totals = finalizeTotals(lines, this.state.creditBalance);
    this.state = { ...this.state, creditBalance: totals.creditBalanceAfter };
    this.decision.issue.push({ ...common, totals, paidAt: totals.status === "paid" ? at : null });
    this.emit("invoice.created", { invoice: ref });
    this.emit("invoice.finalized", { invoice: ref });
    if (totals.status === "paid") this.emit("invoice.paid", { invoice: ref });
    else if (pause)
      this.closeAtOnce(ref, totals.creditApplied, pause.behavior === "void" ? "void" : "uncollectible", at);
    else if (shouldAttemptAutomatically(this.state.status, { billingReason: draft.reason, attemptCount: 0 }))
      this.schedule("retry_payment", at, ref);
    return ref;
  }

  /**
   * Rule 13b/d: a `once` discount ends with the invoice that took it, and the current period's
   * `subscription` line (when this invoice bills it) records the discount its credit will carry.
   */
  private discountAfter(lines: readonly PricedLine[], at: Instant): Partial<SubscriptionState> {
    const s = this.state;
    const discount = s.discount && discountAppliesAt(s.discount, at) ? afterInvoice(s.discount, at) : s.discount;
    const periodLine = lines.find(
      (l) => l.type === "subscription" && l.periodStart === s.currentPeriodStart && l.periodEnd === s.currentPeriodEnd,
    );
    if (!periodLine) return { discount };
    const received = periodLine.discounts.find((d) => d.coupon === s.discount?.coupon.id);
    const amount = received ? lineDiscountTotal({ ...periodLine, discounts: [received] }) : 0;
    return { discount, periodDiscount: received && amount !== 0 ? { coupon: received.coupon, amount } : null };
  }

  /**
   * Rule 15 (`void`, `mark_uncollectible`): an invoice made during the pause is closed as soon
   * as it is finalized, never attempted; a void gives its credit back (rule 8).
   */
  private closeAtOnce(ref: InvoiceRef, creditApplied: number, to: "void" | "uncollectible", at: Instant): void {
    this.updateInvoice({
      invoice: ref,
      status: to,
      nextPaymentAttempt: null,
      ...(to === "void" ? { voidedAt: at } : {}),
    });
    this.state = { ...this.state, creditBalance: this.state.creditBalance + creditReturnedOnClose(to, creditApplied) };
    this.emit(to === "void" ? "invoice.voided" : "invoice.marked_uncollectible", { invoice: ref });
  }

  /**
   * An ended subscription: no renewal, no trial reminder, and its open invoices stay open
   * with no retry or expiry left (rule 10).
   */
  end(status: SubscriptionStatus, at: Instant): void {
    const s = this.state;
    this.state = {
      ...s,
      status,
      endedAt: s.endedAt ?? at,
      canceledAt: status === "canceled" ? (s.canceledAt ?? at) : s.canceledAt,
    };
    this.cancel("renew");
    this.cancel("trial_will_end");
    this.cancel("discount_end");
    for (const invoice of this.open) {
      this.cancel("retry_payment", { id: invoice.id });
      this.cancel("expire_incomplete", { id: invoice.id });
      this.updateInvoice({ invoice: { id: invoice.id }, nextPaymentAttempt: null });
    }
  }
}
