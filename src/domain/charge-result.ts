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
    .filter((p) => p.status === "refunded" && p.refundReference === null && p.refundFailure === null)
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((p) => ({
      paymentId: p.id,
      tries: p.refundTries,
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

/**
 * A refund the gateway refused for good (a 4xx: the charge is disputed, already refunded, too
 * old…) is tried this many times in all, 300 s apart, then given up on.
 */
export const REFUND_MAX_REFUSALS = 3;
/** A gateway that never answers (faults: network, 5xx) is tried for 24 h (288 × 300 s), then given up on. */
export const REFUND_MAX_FAULTS = 288;

/** Why a refund try did not go through: the gateway refused it, or never answered. */
export type RefundSetback = { kind: "refused"; code: string; message: string } | { kind: "fault"; message: string };

/**
 * A refund try did not go through. Under its bound (REFUND_MAX_REFUSALS refusals,
 * REFUND_MAX_FAULTS faults) the try is counted and the job tries again in 300 s, the rest of
 * the invoice's refunds waiting for it. At the bound the refund is given up on: marked failed
 * with the gateway's reason, `payment.refund_failed` recorded for the operator (the money is
 * still owed: refund it by hand), and the job goes on to the next refund at once.
 * NOTE: `order.tries` counts the tries before this one, so this is try `order.tries + 1`.
 */
export function decideRefundSetback(ledger: Ledger, order: RefundOrder, setback: RefundSetback, at: Instant): Decision {
  const b = new DecisionBuilder(ledger);
  const bound = setback.kind === "refused" ? REFUND_MAX_REFUSALS : REFUND_MAX_FAULTS;
  if (order.tries + 1 < bound) {
    b.countRefundTry(order.paymentId);
    b.schedule("refund_payment", at + RECONCILE_AFTER_SECONDS, { id: order.invoiceId });
    return b.decision;
  }
  b.countRefundTry(order.paymentId);
  b.failRefund({
    payment: order.paymentId,
    code: setback.kind === "refused" ? setback.code : "gateway_unreachable",
    message: setback.message,
  });
  b.emit("payment.refund_failed", { payment: order.paymentId });
  return b.decision;
}

/** Every refund owed went through: the job goes. */
export function decideRefundsDone(ledger: Ledger, invoiceId: string): Decision {
  const b = new DecisionBuilder(ledger);
  b.cancel("refund_payment", { id: invoiceId });
  return b.decision;
}
