import type { Decision, Ledger } from "./decision";
import { DecisionBuilder } from "./decision";
import type { InvoiceStatus } from "./invoice";
import type { DomainError } from "./subscription";
import type { Instant } from "./time";

/**
 * docs/billing-rules.md rule 9, amended: what may happen to an invoice while a card attempt on it is
 * pending (the gateway has not answered), and what a late answer does. Pure: the actor
 * passes the invoice's and its payments' state in.
 */

export interface PaymentFacts {
  status: "succeeded" | "failed" | "pending" | "refunded";
  method: "card" | "manual";
  /** Made on request (/pay, a new payment method) rather than by the retry schedule. */
  onRequest: boolean;
  /** Pending past the reconcile window, flagged for an operator: it no longer holds the invoice. */
  needsAttention?: boolean;
}

/** Pending at the gateway and still holding its invoice (a stale one, flagged, no longer does). */
export function holdsInvoice(p: PaymentFacts): boolean {
  return p.status === "pending" && !p.needsAttention;
}

/**
 * A pending attempt holds the invoice: a manual payment, `void` or `mark_uncollectible`
 * waits until it settles (otherwise the attempt could succeed on an invoice already paid or
 * closed).
 */
export function pendingAttemptRefusal(
  payments: readonly PaymentFacts[],
  action: "pay manually" | "void" | "mark uncollectible",
): DomainError | null {
  if (!payments.some(holdsInvoice)) return null;
  return {
    conflict: true,
    code: "payment_pending",
    message: `A payment attempt on this invoice is still pending at the gateway; you can ${action} it once that attempt settles.`,
  };
}

/** What a gateway result does to the pending payment it answers. */
type Settlement =
  /** The invoice is open: the money counts toward it. */
  | "credit"
  /** A success on an invoice no longer open: give the money back (the payment shows `refunded`). */
  | "refund"
  /** A failure on an open invoice: the dunning step (for a scheduled attempt) or nothing more. */
  | "fail"
  /** A failure on an invoice no longer open: recorded, nothing else changes. */
  | "fail_closed";

export function settlementOf(result: "succeeded" | "failed", invoiceStatus: InvoiceStatus): Settlement {
  const open = invoiceStatus === "open";
  if (result === "succeeded") return open ? "credit" : "refund";
  return open ? "fail" : "fail_closed";
}

/**
 * The rung of the retry ladder a failed attempt stands on: only attempts the schedule made
 * count (attempts on request count in `attempt_count` but never advance the schedule).
 */
export function scheduledAttemptNumber(payments: readonly PaymentFacts[]): number {
  return payments.filter((p) => p.method === "card" && !p.onRequest && p.status !== "pending").length;
}

/**
 * A failed attempt that the retry schedule did not make (on request), or one that answers for
 * an invoice already closed: recorded and reported, and nothing else moves — no rung of the
 * ladder, no final action, no status change.
 */
export function decideFailureOffSchedule(
  ledger: Ledger,
  invoiceId: string,
  paymentId: string,
  invoiceOpen: boolean,
): Decision {
  const b = new DecisionBuilder(ledger);
  b.emit("payment.failed", { payment: paymentId });
  if (invoiceOpen) b.emit("invoice.payment_failed", { invoice: { id: invoiceId } });
  return b.decision;
}

/** A success for an invoice no longer open: the money goes back through the gateway, now. */
export function decideLateSuccess(ledger: Ledger, invoiceId: string, at: Instant): Decision {
  const b = new DecisionBuilder(ledger);
  b.schedule("refund_payment", at, { id: invoiceId });
  return b.decision;
}
