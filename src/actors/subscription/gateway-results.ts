import type { Outcome } from "../../contract/errors";
import { notFound, ok } from "../../contract/errors";
import { answerSettles, decideChargeResult } from "../../domain/charge-result";
import type { Instant } from "../../domain/time";
import type { ChargeResult } from "../../payments/gateway";
import type { RequestContext, SubscriptionContext } from "./context";
import { timeAfterDueJobs } from "./jobs";
import { invoiceFacts, loadLedger, paymentRecord, paymentRecords, persist } from "./persist";

/**
 * An asynchronous gateway result (a Stripe webhook) for the attempt made under
 * `gatewayKey`. Applied once: duplicates and late, out-of-order deliveries change nothing.
 */
export async function applyGatewayResult(
  ctx: RequestContext,
  invoiceId: string,
  gatewayKey: string,
  result: ChargeResult,
): Promise<Outcome<{ applied: boolean }>> {
  const record = ctx.store.load();
  const find = () => (record ? ctx.store.payments(invoiceId).find((p) => p.gateway_key === gatewayKey) : undefined);
  if (!record || !find()) return notFound("payment", gatewayKey);
  const at = await timeAfterDueJobs(ctx, record.testClock);
  // Read after the await: a reconcile that ran meanwhile may have settled it already.
  const payment = find()!;
  const applied = answerSettles(payment.status, result.status);
  applyChargeResult(ctx, { paymentId: payment.id, invoiceId }, result, at);
  ctx.publishSoon();
  return ok({ applied });
}

/** Writes `decideChargeResult` for one gateway answer, on the payment as it stands now. */
export function applyChargeResult(
  ctx: SubscriptionContext,
  { paymentId, invoiceId }: { paymentId: string; invoiceId: string },
  result: ChargeResult,
  at: Instant,
): void {
  ctx.transaction(() => {
    const row = ctx.store.payment(paymentId, invoiceId);
    if (!row) return;
    const decision = decideChargeResult(
      ctx.config.dunning,
      loadLedger(ctx),
      {
        payment: paymentRecord(row),
        invoice: invoiceFacts(ctx.store.invoice(row.invoice_id)!),
        payments: paymentRecords(ctx, row.invoice_id),
        answer: result,
      },
      at,
    );
    persist(ctx, decision, at);
  });
}
