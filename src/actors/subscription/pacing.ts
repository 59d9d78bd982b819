import { attemptIsPaced, decideDeferToSlot, slotToWaitFor } from "../../domain/payment-attempt";
import { attemptKey } from "../../domain/payment-records";
import type { Instant } from "../../domain/time";
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
  const record = ctx.store.load();
  const invoice = ctx.store.invoice(invoiceId);
  if (!ctx.config.pacing || !record || !invoice || !attemptIsPaced(!!record.testClock, invoice)) return false;
  const seen = invoice.attempt_count;
  const slot = await gatewaySlot(ctx, attemptKey(invoiceId, seen + 1));
  if (slot === null) return false;
  ctx.transaction(() => {
    const now = ctx.store.invoice(invoiceId);
    persist(ctx, decideDeferToSlot(loadLedger(ctx), now && invoiceFacts(now), seen, slot), slot);
  });
  return true;
}

/**
 * The second an attempt under `key` waits for in this subscription's pacer shard, or null when
 * it may go now (unpaced, its slot is now, or the pacer unreachable). Call only for an attempt
 * `attemptIsPaced` says is paced.
 */
export async function gatewaySlot(ctx: SubscriptionContext, key: string): Promise<Instant | null> {
  const pacing = ctx.config.pacing;
  const record = ctx.store.load();
  if (!pacing || !record) return null;
  try {
    const slotMs = await ctx.env.CHARGE_PACERS.getByName(`shard-${shardOf(record.id, pacing.shards)}`).reserve(
      key,
      Date.now(),
      pacing.spacingMs,
    );
    return slotToWaitFor(slotMs, Date.now());
  } catch (error) {
    console.warn(`charge pacer unreachable for ${key}; attempting now`, error);
    return null;
  }
}
