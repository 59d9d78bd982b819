import type { Instant } from "../../domain/time";
import { shardOf } from "../../payments/charge-pacing";
import type { SubscriptionContext } from "./context";

/** A slot this close (ms) counts as now: the attempt goes at once. */
const NOW_TOLERANCE_MS = 500;

/**
 * Before an automatic attempt (a `retry_payment` job), takes a gateway slot from this
 * subscription's pacer shard (src/payments/charge-pacing.ts). A slot in the future moves the
 * job to it and the attempt waits; the same attempt asking again at its slot is let through.
 * Returns true when the attempt was deferred. Unpaced (no BILLIFY_GATEWAY_RATE), on a test
 * clock (simulated time), or with the pacer unreachable, the attempt goes now: the gateway's
 * own refusal would leave it pending for the reconcile job, never charged twice.
 */
export async function deferredToGatewaySlot(ctx: SubscriptionContext, invoiceId: string): Promise<boolean> {
  const pacing = ctx.config.pacing;
  const record = ctx.store.load();
  const invoice = ctx.store.invoice(invoiceId);
  if (!pacing || !record || record.testClock || !invoice || invoice.status !== "open") return false;
  const seen = invoice.attempt_count;
  const key = `${invoiceId}:attempt:${seen + 1}`;
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
  if (slotMs <= Date.now() + NOW_TOLERANCE_MS) return false;
  const slot: Instant = Math.ceil(slotMs / 1000);
  ctx.transaction(() => {
    // Another attempt, a payment or a void may have happened while we asked: then the
    // job loop finds whatever is left to do, and this slot goes unused.
    const now = ctx.store.invoice(invoiceId);
    if (now?.status !== "open" || now.attempt_count !== seen) return;
    ctx.store.schedule("retry_payment", slot, invoiceId);
    ctx.store.updateInvoice(invoiceId, { next_payment_attempt: slot });
  });
  return true;
}
