import { DurableObject } from "cloudflare:workers";
import type { ChargeRequest, ChargeResult } from "../src/payments/gateway";

interface Env {
  BENCH_GATEWAY_RATE?: string;
}

/**
 * The herd's fake payment gateway (bench only, one object): Stripe-like rate limiting — a
 * token bucket of `rate` requests/s holding one second's worth — and a ledger of what it
 * charged, kept in its storage (an idle object is evicted, and the ledger must outlive that).
 * A request over the limit is rejected the way Stripe does (429), which a gateway turns into a
 * thrown fault: the attempt stays pending until it is reconciled.
 */
export class HerdGateway extends DurableObject<Env> {
  private tokens = 0;
  private refilledAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql(
      "CREATE TABLE IF NOT EXISTS charge (key TEXT PRIMARY KEY, invoice_id TEXT NOT NULL, at_ms INTEGER NOT NULL, result TEXT NOT NULL)",
    );
    this.sql("CREATE TABLE IF NOT EXISTS setting (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  }

  private sql<T extends Record<string, SqlStorageValue>>(query: string, ...params: SqlStorageValue[]): T[] {
    return this.ctx.storage.sql.exec<T>(query, ...params).toArray();
  }

  private setting(name: string, fallback: number): number {
    return this.sql<{ value: number }>("SELECT value FROM setting WHERE name = ?", name)[0]?.value ?? fallback;
  }

  private set(name: string, value: number): void {
    this.sql(
      "INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
      name,
      value,
    );
  }

  charge(request: ChargeRequest): ChargeResult {
    const now = Date.now();
    const rate = this.setting("rate", Number(this.env.BENCH_GATEWAY_RATE ?? "100"));
    this.tokens = this.refilledAt === 0 ? rate : Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.set("rejected", this.setting("rejected", 0) + 1);
      throw new Error("429 rate_limit: too many requests to the gateway");
    }
    this.tokens -= 1;
    const replay = this.sql<{ result: string }>("SELECT result FROM charge WHERE key = ?", request.idempotencyKey)[0];
    if (replay) return JSON.parse(replay.result) as ChargeResult;
    const result: ChargeResult =
      request.paymentMethod === "pm_card_visa"
        ? { status: "succeeded", reference: `herd_${request.idempotencyKey}` }
        : { status: "failed", code: "card_declined", message: "Your card was declined.", reference: null };
    this.sql(
      "INSERT INTO charge (key, invoice_id, at_ms, result) VALUES (?, ?, ?, ?)",
      request.idempotencyKey,
      request.invoiceId,
      now,
      JSON.stringify(result),
    );
    return result;
  }

  reset(rate: number): void {
    this.sql("DELETE FROM charge");
    this.set("rate", rate);
    this.set("rejected", 0);
    this.tokens = rate;
    this.refilledAt = Date.now();
  }

  report() {
    const succeeded = "json_extract(result, '$.status') = 'succeeded'";
    const one = <T extends Record<string, SqlStorageValue>>(query: string) => this.sql<T>(query)[0]!;
    return {
      rate_limit: this.setting("rate", Number(this.env.BENCH_GATEWAY_RATE ?? "100")),
      charges: one<{ n: number }>("SELECT COUNT(*) AS n FROM charge").n,
      rejected: this.setting("rejected", 0),
      invoices_paid: one<{ n: number }>(`SELECT COUNT(DISTINCT invoice_id) AS n FROM charge WHERE ${succeeded}`).n,
      invoices_paid_twice: one<{ n: number }>(
        `SELECT COUNT(*) AS n FROM (SELECT invoice_id FROM charge WHERE ${succeeded} GROUP BY invoice_id HAVING COUNT(*) > 1)`,
      ).n,
      first_charge_ms: one<{ t: number | null }>("SELECT MIN(at_ms) AS t FROM charge").t,
      last_charge_ms: one<{ t: number | null }>("SELECT MAX(at_ms) AS t FROM charge").t,
      max_charges_in_one_second:
        one<{ n: number | null }>("SELECT MAX(n) AS n FROM (SELECT COUNT(*) AS n FROM charge GROUP BY at_ms / 1000)")
          .n ?? 0,
    };
  }
}
