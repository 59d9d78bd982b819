import type { Decision, InvoiceFacts, Ledger } from "./decision";
import { DecisionBuilder } from "./decision";
import { shouldAttemptAutomatically } from "./dunning";
import { amountRemaining } from "./invoice";
import { holdsInvoice } from "./payment-races";
import type { ChargeOrder, PaymentRecord } from "./payment-records";
import { attemptKey } from "./payment-records";
import type { Instant } from "./time";

// One gateway attempt, decided before the gateway is called (ARCHITECTURE.md "Payments"):
// whether it goes at all, its number, amount and key, the pending payment row and the
// reconcile job, all written in one transaction before the charge is sent.

/** A pending card payment is reconciled through the gateway if its result never came back. */
export const RECONCILE_AFTER_SECONDS = 300;
/** Gateways forget idempotency keys after a day (Stripe: 24 h); we stop re-asking before. */
const RECONCILE_WINDOW_SECONDS = 23 * 3_600;

export interface AttemptRequest {
  invoiceId: string;
  /** The invoice as it is now (undefined: no such invoice). */
  invoice: InvoiceFacts | undefined;
  payments: readonly PaymentRecord[];
  /**
   * The attempt count the caller saw before its awaits: if another attempt ran meanwhile,
   * this one is a duplicate and is dropped (two concurrent /pay calls make one attempt).
   */
  expectedAttempts: number | undefined;
  /** /pay or a new payment method, rather than the retry schedule. */
  onRequest: boolean;
  paymentMethod: string | null;
  gatewayCustomer: string | null;
  /** The id the new payment row gets (ids come in). */
  paymentId: string;
  at: Instant;
}

interface AttemptDecision {
  decision: Decision;
  /** The charge to send once the decision is written; null: no attempt. */
  charge: ChargeOrder | null;
}

/** The attempt gate and numbering. */
export function decideAttempt(ledger: Ledger, r: AttemptRequest): AttemptDecision {
  const b = new DecisionBuilder(ledger);
  const ref = { id: r.invoiceId };
  const invoice = r.invoice;
  if (invoice?.status !== "open") {
    b.cancel("retry_payment", ref);
    return { decision: b.decision, charge: null };
  }
  if (invoice.attemptCount !== r.expectedAttempts) return { decision: b.decision, charge: null };
  if (r.payments.some(holdsInvoice)) {
    // A scheduled attempt finds one on request still pending: try again once it settled,
    // never drop the rung.
    if (!r.onRequest) b.schedule("retry_payment", r.at + RECONCILE_AFTER_SECONDS, ref);
    return { decision: b.decision, charge: null };
  }
  const attempt = invoice.attemptCount + 1;
  const amount = amountRemaining(invoice.status, invoice.amountDue, invoice.amountPaid);
  const key = attemptKey(r.invoiceId, attempt);
  if (r.onRequest) {
    // Counted and listed, but the schedule (its next rung, its final action) stays as it is.
    b.updateInvoice({ invoice: ref, attemptCount: attempt });
  } else {
    b.cancel("retry_payment", ref);
    b.updateInvoice({ invoice: ref, attemptCount: attempt, nextPaymentAttempt: null });
  }
  b.addPayment({
    id: r.paymentId,
    invoiceId: r.invoiceId,
    amount,
    currency: invoice.currency,
    status: "pending",
    method: "card",
    attempt,
    reference: null,
    gatewayKey: key,
    paymentMethod: r.paymentMethod,
    gatewayCustomer: r.gatewayCustomer,
    onRequest: r.onRequest,
    created: r.at,
  });
  b.schedule("reconcile_payment", r.at + RECONCILE_AFTER_SECONDS, ref);
  return {
    decision: b.decision,
    charge: {
      paymentId: r.paymentId,
      invoiceId: r.invoiceId,
      amount,
      currency: invoice.currency,
      idempotencyKey: key,
      paymentMethod: r.paymentMethod,
      gatewayCustomer: r.gatewayCustomer,
    },
  };
}

export interface FirstAttempt {
  /** The ids reserved for the decision's new invoices, in its order (ids come in). */
  invoiceIds: readonly string[];
  paymentMethod: string | null;
  gatewayCustomer: string | null;
  /** The id the pending payment row gets. */
  paymentId: string;
  at: Instant;
}

/**
 * The first automatic attempt of an invoice the decision issues (its `retry_payment` job due
 * now), made part of that same decision instead: the invoice is written with its attempt
 * counted, its pending payment and that payment's reconcile, all in the issuing transaction,
 * and the charge to send once it is written is returned. It is exactly the attempt
 * `decideAttempt` would make on the invoice as issued (attempt 1 of the amount due, key
 * `in_…:attempt:1`), without the job row inserted then deleted and the second transaction. A
 * crash after the commit and before the answer leaves the payment to its reconcile, which
 * sends that same request (the gateway answers it once). Only the first such invoice of the
 * decision; any other keeps its job. No attempt due now: the decision as it was, no charge.
 */
export function withFirstAttempt(decision: Decision, r: FirstAttempt): AttemptDecision {
  const due = decision.jobs.findIndex(
    (job) =>
      job.op === "schedule" &&
      job.kind === "retry_payment" &&
      job.dueAt <= r.at &&
      job.invoice !== null &&
      "issued" in job.invoice,
  );
  if (due < 0) return { decision, charge: null };
  const job = decision.jobs[due]!;
  const k = (job.invoice as { issued: number }).issued;
  const issued = decision.issue[k]!;
  const invoiceId = r.invoiceIds[k]!;
  const attempt = 1;
  const amount = amountRemaining(issued.totals.status, issued.totals.amountDue, 0);
  const key = attemptKey(invoiceId, attempt);
  return {
    decision: {
      ...decision,
      issue: decision.issue.map((invoice, n) => (n === k ? { ...invoice, attemptCount: attempt } : invoice)),
      jobs: [
        ...decision.jobs.filter((_, n) => n !== due),
        {
          op: "schedule",
          kind: "reconcile_payment",
          dueAt: r.at + RECONCILE_AFTER_SECONDS,
          invoice: { id: invoiceId },
        },
      ],
      paymentsAdded: [
        ...decision.paymentsAdded,
        {
          id: r.paymentId,
          invoiceId,
          amount,
          currency: issued.currency,
          status: "pending",
          method: "card",
          attempt,
          reference: null,
          gatewayKey: key,
          paymentMethod: r.paymentMethod,
          gatewayCustomer: r.gatewayCustomer,
          onRequest: false,
          created: r.at,
        },
      ],
    },
    charge: {
      paymentId: r.paymentId,
      invoiceId,
      amount,
      currency: issued.currency,
      idempotencyKey: key,
      paymentMethod: r.paymentMethod,
      gatewayCustomer: r.gatewayCustomer,
    },
  };
}

/**
 * The `reconcile_payment` job: asks the gateway again, under the same key, about each card
 * payment still pending — exactly the first request (same key, amount, payment method and
 * gateway customer), which the gateway answers from its idempotency cache. After
 * RECONCILE_WINDOW_SECONDS it stops asking (a new request could charge twice): a payment still
 * pending then is flagged as needing attention (`payment.needs_attention`), once; it stays
 * pending for the webhook or an operator, but no longer holds its invoice, so the retry schedule,
 * a manual payment or a void go on (a late success on a closed invoice is refunded, rule 9).
 * With nothing left to ask, the job goes.
 */
export function decideReconcile(
  ledger: Ledger,
  invoiceId: string,
  payments: readonly PaymentRecord[],
  at: Instant,
): AttemptDecisions {
  const b = new DecisionBuilder(ledger);
  const pending = payments.filter(
    (p) => p.status === "pending" && p.method === "card" && at - p.created < RECONCILE_WINDOW_SECONDS,
  );
  for (const stale of payments.filter(
    (p) =>
      p.status === "pending" && p.method === "card" && !p.needsAttention && at - p.created >= RECONCILE_WINDOW_SECONDS,
  )) {
    b.flagForAttention(stale.id);
    b.emit("payment.needs_attention", { payment: stale.id });
  }
  if (pending.length === 0) b.cancel("reconcile_payment", { id: invoiceId });
  return {
    decision: b.decision,
    charges: pending.map((p) => ({
      paymentId: p.id,
      invoiceId,
      amount: p.amount,
      currency: p.currency,
      idempotencyKey: p.gatewayKey!,
      paymentMethod: p.paymentMethod,
      gatewayCustomer: p.gatewayCustomer,
    })),
  };
}

interface AttemptDecisions {
  decision: Decision;
  /** Charges to send again, each answer fed to `decideChargeResult`. */
  charges: ChargeOrder[];
}

/**
 * Where charge pacing is configured, it applies to a scheduled attempt only in real time (a
 * test clock's time is simulated: its attempts go at once) and on an invoice still open.
 */
export function attemptIsPaced(onTestClock: boolean, invoice: Pick<InvoiceFacts, "status"> | undefined): boolean {
  return !onTestClock && invoice?.status === "open";
}

/** A pacer slot this close (ms) counts as now: the attempt goes at once. */
const NOW_TOLERANCE_MS = 500;

/** Charge pacing: the second a scheduled attempt waits for, or null when its slot is now. */
export function slotToWaitFor(slotMs: number, nowMs: number): Instant | null {
  return slotMs <= nowMs + NOW_TOLERANCE_MS ? null : Math.ceil(slotMs / 1000);
}

/**
 * Moves a scheduled attempt to its pacer slot. Another attempt, a payment or a void may have
 * happened while the slot was asked for (`seenAttempts` no longer matches, or the invoice is
 * closed): then nothing moves, the job loop finds whatever is left to do.
 */
export function decideDeferToSlot(
  ledger: Ledger,
  invoice: InvoiceFacts | undefined,
  seenAttempts: number,
  slot: Instant,
): Decision {
  const b = new DecisionBuilder(ledger);
  if (invoice?.status !== "open" || invoice.attemptCount !== seenAttempts) return b.decision;
  b.schedule("retry_payment", slot, { id: invoice.id });
  b.updateInvoice({ invoice: { id: invoice.id }, nextPaymentAttempt: slot });
  return b.decision;
}

/**
 * Charge pacing for an attempt already written as a pending payment (a renewal's first,
 * `withFirstAttempt`) whose gateway slot is later: its request is sent by its reconcile at the
 * slot — the very first request, under its key, as a reconcile sends it. Nothing when the
 * payment is no longer pending.
 */
export function decideChargeWaitsForSlot(ledger: Ledger, payment: PaymentRecord | undefined, slot: Instant): Decision {
  const b = new DecisionBuilder(ledger);
  if (payment?.status === "pending") b.schedule("reconcile_payment", slot, { id: payment.invoiceId });
  return b.decision;
}

/**
 * A `retry_payment` job that comes due: null when its attempt still runs (rules 9 and 12),
 * else the decision that drops the job (the invoice is gone, or its subscription no longer
 * attempts automatically).
 */
export function decideRetryJobDropped(
  ledger: Ledger,
  invoiceId: string,
  invoice: InvoiceFacts | undefined,
): Decision | null {
  if (invoice && shouldAttemptAutomatically(ledger.state.status, invoice)) return null;
  const b = new DecisionBuilder(ledger);
  b.cancel("retry_payment", { id: invoiceId });
  return b.decision;
}
