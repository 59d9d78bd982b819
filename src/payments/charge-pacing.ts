import { fnv1a } from "../lib/hash";

/**
 * Pacing card charges under a gateway's rate limit (Stripe: about 100 live requests/s for the
 * whole account). A million renewals can fall due in one minute; charged at once, all but the
 * first hundred would be refused. Instead each automatic attempt takes a *slot* from one of a
 * few pacer shards before it calls the gateway: shard k hands out slots `spacing` apart, and
 * the shards together stay under the configured rate. An attempt whose slot is in the future
 * moves its `retry_payment` job to that slot. No singleton: the shard is a hash of the
 * subscription, and a shard is one small in-memory object.
 *
 * NOTE: with S shards each spaced S/rate seconds apart, any one second holds at most
 * rate + S charges (one boundary slot per shard), so the configured rate leaves headroom
 * below the gateway's limit (80 of Stripe's 100, with 8 shards: ≤ 88 in any second).
 */

/** An attempt this late (ms) for its slot takes a new one: a job due at the slot rounded up to the second, and an alarm a moment late, are on time. */
const LATE_AFTER_MS = 2_000;

/** Slots one shard hands out per second at most; the rate decides how many shards. */
const SHARD_RATE = 10;

export interface Pacing {
  /** Requests per second, all shards together. */
  rate: number;
  shards: number;
  /** Milliseconds between two slots of one shard. */
  spacingMs: number;
}

/** BILLIFY_GATEWAY_RATE → pacing; unset or empty: charges are not paced. */
export function parseGatewayRate(value: string | undefined): Pacing | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  const rate = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isInteger(rate) || rate < 1 || rate > 10_000) {
    throw new Error(
      `BILLIFY_GATEWAY_RATE must be whole requests per second between 1 and 10000, e.g. "80"; got "${value}"`,
    );
  }
  const shards = Math.max(1, Math.ceil(rate / SHARD_RATE));
  return { rate, shards, spacingMs: (1000 * shards) / rate };
}

/** The shard of a subscription: a stable hash of its id. */
export function shardOf(subscriptionId: string, shards: number): number {
  return fnv1a(subscriptionId) % shards;
}

/**
 * One shard's schedule: the next free slot, and the slot each attempt key already holds (so an
 * attempt that comes back at its slot is let through, not given another one).
 */
export class SlotBook {
  private nextFreeMs = 0;
  private readonly held = new Map<string, number>();

  constructor(private readonly spacingMs: number) {}

  /**
   * The slot of `key`: its own if it has one and comes back on time, else the next free one at
   * or after `nowMs`. One that comes back late (its alarm was delayed) takes a new slot: late
   * attempts arriving together would otherwise all go through at once, over the rate.
   */
  reserve(key: string, nowMs: number): number {
    const held = this.held.get(key);
    if (held !== undefined && held >= nowMs - LATE_AFTER_MS) return held;
    const slot = Math.max(nowMs, this.nextFreeMs);
    this.nextFreeMs = slot + this.spacingMs;
    this.held.set(key, slot);
    if (this.held.size > 1_000 && this.held.size % 1_000 === 0) this.forget(nowMs);
    return slot;
  }

  /** Drops slots long past: their attempts ran (or will ask again and be let through at once). */
  private forget(nowMs: number): void {
    for (const [key, slot] of this.held) if (slot < nowMs - 600_000) this.held.delete(key);
  }
}
