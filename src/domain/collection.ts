import type { Decided, Decision, InvoiceFacts, Ledger } from "./decision";
import { DecisionBuilder, refuse } from "./decision";
import { afterFailedAttempt, statusAfterClosing, statusAfterPayment } from "./dunning";
import { amountRemaining, creditReturnedOnClose } from "./invoice";
import { releaseHeldRenewals } from "./lifecycle";
import type { PaymentFacts } from "./payment-races";
import { pendingAttemptRefusal } from "./payment-races";
import type { DunningPolicy } from "./retry-schedule";
import type { DomainError } from "./subscription";
import { isEnded } from "./subscription";
import type { Instant } from "./time";

// Collecting invoices (rules 8, 9): a payment received, an attempt that failed, an invoice
// voided or marked uncollectible, and the first invoice's expiry, each as one Decision.

/** Rule 9's "first invoice": the one that opened a subscription without a trial. */
export function isFirstInvoice(invoice: Pick<InvoiceFacts, "billingReason">): boolean {
  return invoice.billingReason === "subscription_create";
}

/** docs/billing-rules.md, Endpoints: `/pay` makes an attempt only on an open invoice; else why not. */
export function payRefusal(invoice: Pick<InvoiceFacts, "status">): DomainError | null {
  if (invoice.status === "open") return null;
  return { code: "invoice_not_open", message: `The invoice is ${invoice.status}; only an open invoice can be paid.` };
}

/** A manual payment may settle at most what remains (docs/billing-rules.md, Endpoints: more is a 400). */
function manualPaymentRefusal(invoice: InvoiceFacts, amount: number): Decided | null {
  if (invoice.status !== "open")
    return refuse("invoice_not_open", `The invoice is ${invoice.status}; only an open invoice takes payments.`);
  const remaining = amountRemaining(invoice.status, invoice.amountDue, invoice.amountPaid);
  if (amount > remaining)
    return refuse(
      "amount_too_large",
      `The payment (${amount}) is more than the amount remaining (${remaining}).`,
      "amount",
    );
  return null;
}

/**
 * A payment made outside the gateway (method: manual; partial payments allowed), recorded
 * under `paymentId` and received at once. Refused (400) beyond what remains, and (409) while a
 * card attempt on the invoice is pending.
 */
export function decideManualPayment(
  ledger: Ledger,
  invoice: InvoiceFacts,
  payments: readonly PaymentFacts[],
  payment: { id: string; amount: number; reference: string },
  at: Instant,
): Decided {
  const refusal = manualPaymentRefusal(invoice, payment.amount);
  if (refusal) return refusal;
  const pending = pendingAttemptRefusal(payments, "pay manually");
  if (pending) return { ok: false, error: pending };
  const decision = decidePaymentReceived(ledger, invoice, payment.id, payment.amount, at);
  decision.paymentsAdded.unshift({
    id: payment.id,
    invoiceId: invoice.id,
    amount: payment.amount,
    currency: invoice.currency,
    status: "succeeded",
    method: "manual",
    attempt: invoice.attemptCount,
    reference: payment.reference,
    gatewayKey: null,
    paymentMethod: null,
    gatewayCustomer: null,
    onRequest: false,
    created: at,
  });
  return { ok: true, decision };
}

/**
 * A successful payment of `amount` (card or manual) on an open invoice: partial payments add
 * up; the one that completes it makes the invoice paid, cancels its jobs, and makes the
 * subscription active once nothing is left open; an incomplete one then makes its held
 * renewals at once (rule 9). payment.succeeded < invoice.paid < subscription.updated.
 */
export function decidePaymentReceived(
  ledger: Ledger,
  invoice: InvoiceFacts,
  paymentId: string,
  amount: number,
  at: Instant,
): Decision {
  const b = new DecisionBuilder(ledger);
  b.emit("payment.succeeded", { payment: paymentId });
  const paid = invoice.amountPaid + amount;
  if (paid < invoice.amountDue) {
    b.updateInvoice({ invoice: { id: invoice.id }, amountPaid: paid });
    return b.decision;
  }
  b.updateInvoice({
    invoice: { id: invoice.id },
    amountPaid: paid,
    status: "paid",
    paidAt: at,
    nextPaymentAttempt: null,
  });
  b.closed(invoice.id);
  b.emit("invoice.paid", { invoice: { id: invoice.id } });
  settleStatus(b, at);
  return b.decision;
}

/** After an invoice is paid or closed: the status its remaining open invoices call for (rule 9). */
function settleStatus(b: DecisionBuilder, at: Instant): void {
  const before = b.state.status;
  const status = statusAfterPayment(before, b.openInvoices().length);
  if (status === before) return;
  b.state = { ...b.state, status };
  b.emitSubscription("subscription.updated");
  if (before === "incomplete") releaseHeldRenewals(b, at);
}

/**
 * Rule 9 after a failed attempt: the next rung of the ladder, `incomplete` with its 23-hour
 * expiry for a first invoice, or the final action. payment.failed < invoice.payment_failed
 * < subscription.*.
 */
export function decideAttemptFailed(
  policy: DunningPolicy,
  ledger: Ledger,
  invoice: InvoiceFacts,
  paymentId: string,
  attempt: number,
  at: Instant,
): Decision {
  const b = new DecisionBuilder(ledger);
  b.emit("payment.failed", { payment: paymentId });
  const before = ledger.state.status;
  const step = afterFailedAttempt(policy, {
    status: before,
    isFirstInvoice: isFirstInvoice(invoice),
    invoiceCreated: invoice.created,
    attempt,
    failedAt: at,
  });
  b.updateInvoice({ invoice: { id: invoice.id }, nextPaymentAttempt: step.nextAttemptAt });
  if (step.nextAttemptAt !== null) b.schedule("retry_payment", step.nextAttemptAt, { id: invoice.id });
  if (step.expireAt !== null) b.schedule("expire_incomplete", step.expireAt, { id: invoice.id });
  b.emit("invoice.payment_failed", { invoice: { id: invoice.id } });
  if (step.ends) {
    b.end(step.status, at);
    b.emitSubscription("subscription.canceled");
  } else if (step.status !== before) {
    b.state = { ...b.state, status: step.status };
    b.emitSubscription("subscription.updated");
  }
  return b.decision;
}

/**
 * Closing an open invoice waits for a pending attempt to settle (409 `payment_pending`); any
 * other is left to `decideCloseInvoice`'s own checks. Null: go ahead.
 */
export function closeRefusal(
  invoice: Pick<InvoiceFacts, "status">,
  payments: readonly PaymentFacts[],
  to: "void" | "uncollectible",
): DomainError | null {
  if (invoice.status !== "open") return null;
  return pendingAttemptRefusal(payments, to === "void" ? "void" : "mark uncollectible");
}

/**
 * Voids an open invoice (or a draft, rule 15) or marks it uncollectible, stopping its collection. A void gives its
 * credit_applied back (rule 8). Closing the first invoice of an incomplete subscription ends
 * it (`incomplete_expired`); otherwise the status is as after a payment.
 */
export function decideCloseInvoice(
  ledger: Ledger,
  invoice: InvoiceFacts,
  to: "void" | "uncollectible",
  at: Instant,
): Decided {
  // Rule 15: `void` also takes a draft, which owes nothing yet, so nothing else changes.
  if (to === "void" && invoice.status === "draft") {
    const b = new DecisionBuilder(ledger);
    b.updateInvoice({ invoice: { id: invoice.id }, status: "void", voidedAt: at });
    b.emit("invoice.voided", { invoice: { id: invoice.id } });
    return { ok: true, decision: b.decision };
  }
  if (invoice.status !== "open") {
    return refuse(
      "invoice_not_open",
      `The invoice is ${invoice.status}; only an open invoice can be ${to === "void" ? "voided (or a draft)" : "marked uncollectible"}.`,
    );
  }
  const b = new DecisionBuilder(ledger);
  b.updateInvoice({
    invoice: { id: invoice.id },
    status: to,
    nextPaymentAttempt: null,
    ...(to === "void" ? { voidedAt: at } : {}),
  });
  b.closed(invoice.id);
  b.state = { ...b.state, creditBalance: b.state.creditBalance + creditReturnedOnClose(to, invoice.creditApplied) };
  b.emit(to === "void" ? "invoice.voided" : "invoice.marked_uncollectible", { invoice: { id: invoice.id } });
  const status = statusAfterClosing(b.state.status, isFirstInvoice(invoice), b.openInvoices().length);
  if (isEnded(status)) {
    b.end(status, at);
    b.emitSubscription("subscription.updated");
  } else {
    settleStatus(b, at);
  }
  return { ok: true, decision: b.decision };
}

/** Rule 9: at 23 hours an unpaid first invoice is voided and the subscription is incomplete_expired. */
export function decideIncompleteExpiry(ledger: Ledger, invoice: InvoiceFacts | undefined, at: Instant): Decision {
  if (ledger.state.status === "incomplete" && invoice?.status === "open") {
    const closed = decideCloseInvoice(ledger, invoice, "void", at);
    if (closed.ok) return closed.decision;
  }
  const b = new DecisionBuilder(ledger);
  if (invoice) b.cancel("expire_incomplete", { id: invoice.id });
  return b.decision;
}
