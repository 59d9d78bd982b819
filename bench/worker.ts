/**
 * The bench Worker (bench/.wrangler.bench.jsonc, which bench/run.mjs writes from wrangler.jsonc;
 * never deployed). It wraps the real Worker
 * and the real actors, adding:
 *  - `GET /bench/echo/warm` and `/bench/echo/new`: a bare Durable Object whose method returns
 *    a constant, on one warm object or on a new object per request — the platform's floor;
 *  - `POST /bench/echo/fanout?n=&prefix=`: the test clock's floor: one echo object calls `n`
 *    echo objects (`prefix-0` … `prefix-{n-1}`: new the first time, warm after) the way the
 *    clock calls its subscriptions, at most MAX_CALLS_IN_FLIGHT open at once;
 *  - `POST /bench/profile/start`, `GET /bench/profile[?stop=1]`: per-step timings and rows
 *    written per SQL statement (bench/probe.ts);
 *  - `POST /bench/seed-invoices`: N extra invoices on one subscription, written directly;
 *  - `GET /bench/usage?subscription=`: that subscription's `Actor.usage` (rows read, written);
 *  - `GET /bench/gateway`, `POST /bench/gateway/reset`: the herd's fake gateway, limited to
 *    BENCH_GATEWAY_RATE requests/s (when that var is set).
 * Every other request goes to the real Worker unchanged.
 */
import { DurableObject } from "cloudflare:workers";
import { encodeTime } from "ulid";
import type { Config } from "../src/actors/config";
import { CustomerActor as RealCustomerActor } from "../src/actors/customer/customer-actor";
import type { Env } from "../src/actors/env";
import { PlanActor as RealPlanActor } from "../src/actors/plan/plan-actor";
import { SubscriptionActor as RealSubscriptionActor } from "../src/actors/subscription/subscription-actor";
import { mapBounded } from "../src/actors/test-clock/bounded-map";
import { MAX_CALLS_IN_FLIGHT, TestClockActor as RealTestClockActor } from "../src/actors/test-clock/test-clock-actor";
import realWorker from "../src/index";
import type { ChargeRequest, ChargeResult, PaymentGateway, RefundRequest, RefundResult } from "../src/payments/gateway";
import { HerdGateway } from "./herd-gateway";
import { instrumentCtx, instrumentEnv, snapshot, startProfile, timed } from "./probe";

export {
  ChargePacerActor,
  CouponActor,
  IdempotencyKeyActor,
  MeterActor,
  MetricsShard,
  PromotionCodeClaimActor,
  TaxRateActor,
  WebhookEndpointsActor,
} from "../src/index";
export { HerdGateway };

interface BenchEnv extends Env {
  ECHO: DurableObjectNamespace<Echo>;
  HERD_GATEWAY: DurableObjectNamespace<HerdGateway>;
  /** Requests per second the herd's fake gateway allows; unset: the ordinary fake gateway. */
  BENCH_GATEWAY_RATE?: string;
}

/** The floor: a Durable Object whose one method returns a constant. */
export class Echo extends DurableObject<BenchEnv> {
  echo(): string {
    return "ok";
  }

  /**
   * The test clock's floor: `n` calls from this object to `n` echo objects, at most as many
   * open at once as the clock allows itself, through the same bounded map. Returns the calls made.
   */
  async fanOut(prefix: string, n: number): Promise<number> {
    const names = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const answers = await mapBounded(names, MAX_CALLS_IN_FLIGHT, (name) => this.env.ECHO.getByName(name).echo());
    return answers.filter((a) => a === "ok").length;
  }
}

export class PlanActor extends RealPlanActor {
  constructor(ctx: DurableObjectState, env: Env) {
    instrumentCtx(ctx, "plan");
    super(ctx, instrumentEnv(env, "plan"));
  }
}

export class CustomerActor extends RealCustomerActor {
  constructor(ctx: DurableObjectState, env: Env) {
    instrumentCtx(ctx, "customer");
    super(ctx, instrumentEnv(env, "customer"));
  }
}

export class TestClockActor extends RealTestClockActor {
  constructor(ctx: DurableObjectState, env: Env) {
    instrumentCtx(ctx, "clock");
    super(ctx, instrumentEnv(env, "clock"));
  }
}

/** Charges through the herd's rate-limited fake gateway (one bench-only object). */
class LimitedGateway implements PaymentGateway {
  readonly name = "bench-limited";
  constructor(private readonly env: BenchEnv) {}
  charge(request: ChargeRequest): Promise<ChargeResult> {
    return this.env.HERD_GATEWAY.getByName("gateway").charge(request);
  }
  /** A herd is never refunded (every charge lands on an open invoice). */
  refund(request: RefundRequest): Promise<RefundResult> {
    return Promise.reject(new Error(`the bench gateway does not refund (${request.idempotencyKey})`));
  }
}

/** Times every charge, whichever gateway is configured. */
class TimedGateway implements PaymentGateway {
  readonly name: string;
  constructor(private readonly inner: PaymentGateway) {
    this.name = inner.name;
  }
  charge(request: ChargeRequest): Promise<ChargeResult> {
    return timed("subscription gateway.charge", () => this.inner.charge(request));
  }
  refund(request: RefundRequest): Promise<RefundResult> {
    return timed("subscription gateway.refund", () => this.inner.refund(request));
  }
  knowsPaymentMethod(token: string): Promise<boolean> {
    return this.inner.knowsPaymentMethod ? this.inner.knowsPaymentMethod(token) : Promise.resolve(true);
  }
}

export class SubscriptionActor extends RealSubscriptionActor {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    instrumentCtx(ctx, "subscription");
    super(ctx, instrumentEnv(env, "subscription"));
    // The configuration is frozen: replace it with a copy naming the bench's gateway.
    const self = this as unknown as { config: Config };
    const gateway = env.BENCH_GATEWAY_RATE ? new LimitedGateway(env) : self.config.gateway;
    self.config = Object.freeze({ ...self.config, gateway: new TimedGateway(gateway) });
  }

  override async onAlarm(): Promise<void> {
    await timed("subscription alarm (whole)", () => super.onAlarm());
  }

  /** The rows this instance's SQL has read and written (`Actor.usage`): the renewal-rows row. */
  benchUsage(): { rowsRead: number; rowsWritten: number } {
    return { ...this.usage };
  }

  /** Adds `count` paid invoices (one line each) straight into storage, older than any real one. */
  benchSeedInvoices(count: number, from: number): number {
    const sql = this.ctx.storage.sql;
    const key = this.name;
    const oldest = Date.parse("2020-01-01T00:00:00Z");
    this.ctx.storage.transactionSync(() => {
      for (let i = from; i < from + count; i++) {
        const id = `in_${encodeTime(oldest + i, 10)}${key}`;
        sql.exec(
          `INSERT INTO invoice (id, number, status, currency, subtotal, total, credit_applied, amount_due, amount_paid,
             attempt_count, next_payment_attempt, period_start, period_end, billing_reason, created, finalized_at, paid_at, voided_at)
           VALUES (?, ?, 'paid', 'usd', 100, 100, 0, 100, 100, 1, NULL, 0, 1, 'manual', 0, 0, 0, NULL)`,
          id,
          `seed-${i}`,
        );
        sql.exec(
          `INSERT INTO invoice_line (id, invoice_id, position, type, description, amount, quantity, plan, period_start, period_end)
           VALUES (?, ?, 0, 'invoice_item', 'seed', 100, 1, NULL, 0, 1)`,
          `il_seed${i}${key}`,
          id,
        );
      }
    });
    return count;
  }
}

/** The router's env: its RPCs to the actors are timed too. */
const routerEnvs = new WeakMap<object, Env>();
function routerEnv(env: BenchEnv): Env {
  let wrapped = routerEnvs.get(env);
  if (!wrapped) {
    wrapped = instrumentEnv(env, "router");
    routerEnvs.set(env, wrapped);
  }
  return wrapped;
}

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/bench/")) {
      return timed(`router ${request.method} (whole)`, () => realWorker.fetch(request, routerEnv(env), ctx));
    }
    switch (url.pathname) {
      case "/bench/echo/warm":
        return new Response(await env.ECHO.getByName("warm").echo());
      case "/bench/echo/new":
        return new Response(await env.ECHO.getByName(crypto.randomUUID()).echo());
      case "/bench/echo/fanout": {
        const n = Number(url.searchParams.get("n"));
        const prefix = url.searchParams.get("prefix") ?? "fanout";
        return Response.json({ calls: await env.ECHO.getByName(`${prefix}-caller`).fanOut(prefix, n) });
      }
      case "/bench/profile/start":
        startProfile();
        return Response.json({ ok: true });
      case "/bench/profile":
        return Response.json(snapshot(url.searchParams.get("stop") === "1"));
      case "/bench/seed-invoices": {
        const { subscription, count, from } = (await request.json()) as {
          subscription: string;
          count: number;
          from: number;
        };
        const stub = env.SUBSCRIPTIONS.getByName(
          subscription.slice(-16),
        ) as unknown as DurableObjectStub<SubscriptionActor>;
        return Response.json({ seeded: await stub.benchSeedInvoices(count, from) });
      }
      case "/bench/usage": {
        const subscription = url.searchParams.get("subscription") ?? "";
        const stub = env.SUBSCRIPTIONS.getByName(
          subscription.slice(-16),
        ) as unknown as DurableObjectStub<SubscriptionActor>;
        return Response.json(await stub.benchUsage());
      }
      case "/bench/gateway":
        return Response.json(await env.HERD_GATEWAY.getByName("gateway").report());
      case "/bench/gateway/reset":
        await env.HERD_GATEWAY.getByName("gateway").reset(Number(url.searchParams.get("rate") ?? "100"));
        return Response.json({ ok: true });
      default:
        return new Response("not found", { status: 404 });
    }
  },
  queue(batch: MessageBatch<unknown>, env: BenchEnv): Promise<void> {
    return realWorker.queue(batch, env);
  },
} satisfies ExportedHandler<BenchEnv>;
