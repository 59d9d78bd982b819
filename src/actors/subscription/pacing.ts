import { attemptIsPaced, decideDeferToSlot, slotToWaitFor } from "../../domain/payment-attempt";
import { attemptKey } from "../../domain/payment-records";
import { shardOf } from "../../payments/charge-pacing";
import type { SubscriptionContext } from "./context";
import { invoiceFacts, loadLedger, persist } from "./persist";

/**
 * Before an automatic attempt (a `retry_payment` job), takes a gateway slot from this
 * subscription's pacer shard (src/payments/charge-pacing.ts). A slot in the future moves the
 * job to it (`decideDeferToSlot`) and the attempt waits; the same attempt asking again at its
 * slot is let through. Returns true when the attempt was deferred. Unpaced (no
 * BILLIFY_GATEWAY_RATE), on a test clock (simulated time), or with the pacer unreachable, the
 * attempt goes now: the gateway's own refusal would leave it pending for the reconcile job,
 * never charged twice.
 */
export async function deferredToGatewaySlot(ctx: SubscriptionContext, invoiceId: string): Promise<boolean> {
  const pacing = ctx.config.pacing;
  const record = ctx.store.load();
  const invoice = ctx.store.invoice(invoiceId);
  if (!pacing || !record || !invoice || !attemptIsPaced(!!record.testClock, invoice)) return false;
  const seen = invoice.attempt_count;
  const key = attemptKey(invoiceId, seen + 1);
  let slotMs: number;
  try {
    slotMs = await ctx.env.CHARGE_PACERS.getByName(`shard-${shardOf(record.id, pacing.shards)}`).reserve(
      key,
      Date.now(),
      pacing.spacingMs,
    );
  } catch (error) {
    console.warn(`charge pacer unreachable for ${key}; attempting now`, error);
    return false;
  }
  const slot = slotToWaitFor(slotMs, Date.now());
  if (slot === null) return false;
  ctx.transaction(() => {
    const now = ctx.store.invoice(invoiceId);
    persist(ctx, decideDeferToSlot(loadLedger(ctx), now && invoiceFacts(now), seen, slot), slot);
  });
  return true;
}
