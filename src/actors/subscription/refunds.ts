import { decideRefunded, decideRefundFailed, decideRefundsDone, refundsDue } from "../../domain/charge-result";
import type { Instant } from "../../domain/time";
import type { SubscriptionContext } from "./context";
import { loadLedger, paymentRecords, persist } from "./persist";

/**
 * The `refund_payment` job: gives back, through the gateway, the payments that succeeded on
 * an invoice already closed (`refundsDue`), each written as it goes through; a fault
 * reschedules the job.
 */
export async function refundPayments(ctx: SubscriptionContext, invoiceId: string, at: Instant): Promise<void> {
  for (const order of refundsDue(paymentRecords(ctx, invoiceId))) {
    try {
      const refund = await ctx.config.gateway.refund({
        invoiceId,
        chargeReference: order.chargeReference,
        amount: order.amount,
        currency: order.currency,
        idempotencyKey: order.idempotencyKey,
      });
      ctx.transaction(() => persist(ctx, decideRefunded(loadLedger(ctx), order.paymentId, refund.reference), at));
    } catch (error) {
      console.warn(`gateway ${ctx.config.gateway.name} could not refund ${order.paymentId}; will retry`, error);
      ctx.transaction(() => persist(ctx, decideRefundFailed(loadLedger(ctx), invoiceId, at), at));
      return;
    }
  }
  ctx.transaction(() => persist(ctx, decideRefundsDone(loadLedger(ctx), invoiceId), at));
}
