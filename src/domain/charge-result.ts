import { decideAttemptFailed, decidePaymentReceived } from "./collection";
import type { Decision, InvoiceFacts, Ledger } from "./decision";
import { DecisionBuilder } from "./decision";
import { RECONCILE_AFTER_SECONDS } from "./payment-attempt";
import { decideFailureOffSchedule, decideLateSuccess, scheduledAttemptNumber, settlementOf } from "./payment-races";
import type { GatewayAnswer, PaymentRecord, PaymentSettlement, RefundOrder } from "./payment-records";
import { refundKey } from "./payment-records";
import type { DunningPolicy } from "./retry-schedule";
import type { Instant } from "./time";

// What the gateway's answer does (rule 9), decided once: the payment is settled only while it
// is still pending, so duplicates and late, out-of-order answers change nothing. Then the
// refunds owed for successes that arrived on closed invoices.

interface ChargeAnswer {
  /** The payment the answer is for, as stored now. */
  payment: PaymentRecord;
  /** Its invoice, as stored now. */
  invoice: InvoiceFacts;
  /** Every payment of the invoice, as stored now (the ladder's rung counts them). */
  payments: readonly PaymentRecord[];
  answer: GatewayAnswer;
}

/** Whether a gateway answer settles the payment: only a pending payment, only a final answer. */
export function answerSettles(paymentStatus: PaymentRecord["status"], answerStatus: GatewayAnswer["status"]): boolean {
  return paymentStatus === "pending" && answerStatus !== "pending";
}

/**
 * Records a gateway answer exactly once. Still pending: ask again in 300 s. Succeeded on an
 * open invoice: credited (`decidePaymentReceived`); on a closed one: refunded. Failed on a
 * closed invoice or on an attempt made on request: recorded and reported, nothing moves;
 * failed on a scheduled attempt: the next rung of the ladder (`decideAttemptFailed`).
 */
export function decideChargeResult(
  policy: DunningPolicy,
  ledger: Ledger,
  { payment, invoice, payments, answer }: ChargeAnswer,
  at: Instant,
): Decision {
  const ref = { id: payment.invoiceId };
  if (payment.status !== "pending") return new DecisionBuilder(ledger).decision;
  if (answer.status === "pending") {
    const b = new DecisionBuilder(ledger);
    b.schedule("reconcile_payment", at + RECONCILE_AFTER_SECONDS, ref);
    return b.decision;
  }
  const settlement = settlementOf(answer.status, invoice.status);
  const settle = (status: PaymentSettlement["status"], failureCode: string | null, failureMessage: string | null) =>
    settled(
      { payment: payment.id, status, failureCode, failureMessage, gatewayReference: answer.reference },
      payment.invoiceId,
    );
  if (settlement === "credit")
    return settle("succeeded", null, null)(decidePaymentReceived(ledger, invoice, payment.id, payment.amount, at));
  // The invoice was closed meanwhile: the money goes back (refund_payment job), and the
  // invoice is neither paid twice nor reopened.
  if (settlement === "refund") return settle("refunded", null, null)(decideLateSuccess(ledger, payment.invoiceId, at));
  const failed = answer as Extract<GatewayAnswer, { status: "failed" }>;
  const settleFailed = settle("failed", failed.code, failed.message);
  if (settlement === "fail_closed" || payment.onRequest)
    return settleFailed(decideFailureOffSchedule(ledger, payment.invoiceId, payment.id, settlement === "fail"));
  // The rung counts this attempt as settled (failed).
  const rung = scheduledAttemptNumber(
    payments.map((p) => (p.id === payment.id ? { ...p, status: "failed" as const } : p)),
  );
  return settleFailed(decideAttemptFailed(policy, ledger, invoice, payment.id, rung, at));
}

/** Prefixes a decision with the settlement and the end of its reconcile job. */
function settled(settlement: PaymentSettlement, invoiceId: string): (d: Decision) => Decision {
  return (d) => ({
    ...d,
    paymentsSettled: [settlement, ...d.paymentsSettled],
    jobs: [{ op: "cancel", kind: "reconcile_payment", invoice: { id: invoiceId } }, ...d.jobs],
  });
}

/**
 * The `refund_payment` job: the refunded payments whose refund has not gone through yet, each
 * under one key per payment, so a run that dies after the gateway answered refunds once.
 */
export function refundsDue(payments: readonly PaymentRecord[]): RefundOrder[] {
  return payments
    .filter((p) => p.status === "refunded" && p.refundReference === null)
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((p) => ({
      paymentId: p.id,
      invoiceId: p.invoiceId,
      chargeReference: p.gatewayReference ?? p.gatewayKey!,
      amount: p.amount,
      currency: p.currency,
      idempotencyKey: refundKey(p.gatewayKey!),
    }));
}

/** A refund went through. */
export function decideRefunded(ledger: Ledger, paymentId: string, reference: string): Decision {
  const b = new DecisionBuilder(ledger);
  b.recordRefund({ payment: paymentId, reference });
  return b.decision;
}

/** The gateway faulted on a refund: the job tries again in 300 s (the rest wait for it). */
export function decideRefundFailed(ledger: Ledger, invoiceId: string, at: Instant): Decision {
  const b = new DecisionBuilder(ledger);
  b.schedule("refund_payment", at + RECONCILE_AFTER_SECONDS, { id: invoiceId });
  return b.decision;
}

/** Every refund owed went through: the job goes. */
export function decideRefundsDone(ledger: Ledger, invoiceId: string): Decision {
  const b = new DecisionBuilder(ledger);
  b.cancel("refund_payment", { id: invoiceId });
  return b.decision;
}
