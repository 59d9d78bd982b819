import { loadConfig } from "./actors/config";
import type { Env } from "./actors/env";
import { createApp } from "./api/app";
import { routeLiveRequest } from "./api/live";
import { handleQueue } from "./queues/consumer";

export { ChargePacerActor } from "./actors/charge-pacer/charge-pacer-actor";
export { CouponActor } from "./actors/coupon/coupon-actor";
export { PromotionCodeClaimActor } from "./actors/coupon/promotion-code-claim-actor";
export { CustomerActor } from "./actors/customer/customer-actor";
export { IdempotencyKeyActor } from "./actors/idempotency/idempotency-key-actor";
export { MeterActor } from "./actors/meter/meter-actor";
export { MetricsShard } from "./actors/metrics/metrics-shard";
export { PlanActor } from "./actors/plan/plan-actor";
export { SubscriptionActor } from "./actors/subscription/subscription-actor";
export { TaxRateActor } from "./actors/tax-rate/tax-rate-actor";
export { TestClockActor } from "./actors/test-clock/test-clock-actor";
export { WebhookEndpointsActor } from "./actors/webhook-endpoints/endpoints-actor";

declare global {
  // Lets `import { env } from "cloudflare:workers"` in tests see our bindings.
  namespace Cloudflare {
    interface Env extends BillifyEnv {}
    interface GlobalProps {
      mainModule: typeof import("./index");
    }
  }
}
type BillifyEnv = Env;

const app = createApp();
export const CONFIGURATION_ERROR = {
  type: "api_error",
  code: "configuration_error",
  message: "The service is misconfigured and cannot answer; its operator will find the cause in the log.",
} as const;
/** Environments already validated (one per isolate in production). */
const checked = new WeakSet<Env>();

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (!checked.has(env)) {
      // Invalid configuration fails at once: loudly in the log, with the variable named; the
      // caller (maybe unauthenticated) learns only that the service is misconfigured.
      try {
        loadConfig(env);
        checked.add(env);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.error(`Billify configuration error: ${message}`);
        return Response.json({ error: CONFIGURATION_ERROR }, { status: 500 });
      }
    }
    // Live dashboard pages: partyserver WebSockets to a subscription's actor.
    const live = await routeLiveRequest(request, env);
    if (live) return live;
    return app.fetch(request, env, ctx);
  },
  /** Producer and consumer are this one Worker (wrangler.jsonc "queues"). */
  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    await handleQueue(batch, env);
  },
} satisfies ExportedHandler<Env>;
