import { DurableObject } from "cloudflare:workers";
import { SlotBook } from "../../payments/charge-pacing";
import type { Env } from "../env";

/**
 * One pacer shard (src/payments/charge-pacing.ts): hands out gateway slots `spacingMs` apart.
 * Its book lives in memory on purpose: a reservation must cost no storage row, and a shard
 * that restarts only forgets slots, which lets at most one shard's worth of attempts through
 * early (a refusal from the gateway is then an ordinary pending attempt, reconciled later).
 */
export class ChargePacerActor extends DurableObject<Env> {
  private book: SlotBook | null = null;

  /** The slot (epoch ms) at which attempt `key` may call the gateway. */
  reserve(key: string, nowMs: number, spacingMs: number): number {
    this.book ??= new SlotBook(spacingMs);
    return this.book.reserve(key, nowMs);
  }
}
