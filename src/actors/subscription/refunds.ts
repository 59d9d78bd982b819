import type { RefundSetback } from "../../domain/charge-result";
import { decideRefunded, decideRefundSetback, decideRefundsDone, refundsDue } from "../../domain/charge-result";
import type { Instant } from "../../domain/time";
import type { SubscriptionContext } from "./context";
import { loadLedger, paymentRecords, persist } from "./persist";

/**
 * The `refund_payment` job: gives back, through the gateway, the payments that succeeded on
 * an invoice already closed (`refundsDue`), each written as it goes through. A refusal or a
 * fault is a setback (`decideRefundSetback`): under its bound it reschedules the job; at the
 * bound the refund is marked failed and the job goes on to the next one.
 */
export async function refundPayments(ctx: SubscriptionContext, invoiceId: string, at: Instant): Promise<void> {
  for (const order of refundsDue(paymentRecords(ctx, invoiceId))) {
    let setback: RefundSetback;
    try {
      const refund = await ctx.config.gateway.refund({
        invoiceId,
        chargeReference: order.chargeReference,
        amount: order.amount,
        currency: order.currency,
        idempotencyKey: order.idempotencyKey,
      });
      if (refund.status !== "refused") {
        ctx.transaction(() => persist(ctx, decideRefunded(loadLedger(ctx), order.paymentId, refund.reference), at));
        continue;
      }
      setback = { kind: "refused", code: refund.code, message: refund.message };
    } catch (error) {
      console.warn(`gateway ${ctx.config.gateway.name} could not refund ${order.paymentId}; will retry`, error);
      setback = { kind: "fault", message: error instanceof Error ? error.message : String(error) };
    }
    const decision = decideRefundSetback(loadLedger(ctx), order, setback, at);
    ctx.transaction(() => persist(ctx, decision, at));
    // Still to be tried again: the job was rescheduled, the rest wait for it.
    if (decision.refundsFailed.length === 0) return;
  }
  ctx.transaction(() => persist(ctx, decideRefundsDone(loadLedger(ctx), invoiceId), at));
}
