import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** Keys are kept 24 hours (docs/billing-rules.md, Conventions). */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600 * 1_000;

interface Binding {
  fingerprint: string;
  createdMs: number;
}

type BindResult = { ok: true; replay: boolean } | { ok: false };

/**
 * One actor per Idempotency-Key (named by the key's SHA-256), consulted by the router only
 * when a request carries a key. It makes the key's scope the whole account (docs/billing-rules.md, Conventions): the
 * first request binds the key to its fingerprint (method, path, body), and any other request
 * under the key within 24 h (another endpoint, another object, another body) is refused.
 * The replay itself (the stored answer) stays with the actor that did the work, written in
 * the same transaction as the work.
 *
 * No singleton: each key has its own actor, so keys never contend. Its one record and the
 * actor's storage are deleted by its alarm 24 h after the first use.
 */
export class IdempotencyKeyActor extends DurableObject<Env> {
  /** Binds the key to `fingerprint` on first use; answers whether a request may run under it. */
  async bind(fingerprint: string, nowMs: number): Promise<BindResult> {
    const bound = await this.ctx.storage.get<Binding>("binding");
    if (bound && bound.createdMs > nowMs - IDEMPOTENCY_KEY_TTL_MS) {
      return bound.fingerprint === fingerprint ? { ok: true, replay: true } : { ok: false };
    }
    await this.ctx.storage.put<Binding>("binding", { fingerprint, createdMs: nowMs });
    await this.ctx.storage.setAlarm(nowMs + IDEMPOTENCY_KEY_TTL_MS);
    return { ok: true, replay: false };
  }

  /** 24 h after the first use: forget the key (the actor ceases to hold anything). */
  override async alarm(): Promise<void> {
    const bound = await this.ctx.storage.get<Binding>("binding");
    if (bound && bound.createdMs > Date.now() - IDEMPOTENCY_KEY_TTL_MS) {
      await this.ctx.storage.setAlarm(bound.createdMs + IDEMPOTENCY_KEY_TTL_MS);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}
