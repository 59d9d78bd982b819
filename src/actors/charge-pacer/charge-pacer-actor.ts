import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import { SlotBook, parseGatewayRate } from "../../payments/charge-pacing";

/**
 * One pacer shard (src/payments/charge-pacing.ts): hands out gateway slots `spacing` apart.
 * Its book lives in memory on purpose: a reservation must cost no storage row, and a shard
 * that restarts only forgets slots, which lets at most one shard's worth of attempts through
 * early (a refusal from the gateway is then an ordinary pending attempt, reconciled later).
 */
export class ChargePacerActor extends DurableObject<Env> {
  private readonly book: SlotBook;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const pacing = parseGatewayRate(env.BILLIFY_GATEWAY_RATE);
    this.book = new SlotBook(pacing?.spacingMs ?? 0);
  }

  /** The slot (epoch ms) at which attempt `key` may call the gateway. */
  reserve(key: string, nowMs: number): number {
    return this.book.reserve(key, nowMs);
  }
}
