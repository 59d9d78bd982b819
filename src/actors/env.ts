import type { PlatformEnv } from "../lib/env";
import type { ChargePacerActor } from "./charge-pacer/charge-pacer-actor";
import type { CouponActor } from "./coupon/coupon-actor";
import type { PromotionCodeClaimActor } from "./coupon/promotion-code-claim-actor";
import type { CustomerActor } from "./customer/customer-actor";
import type { IdempotencyKeyActor } from "./idempotency/idempotency-key-actor";
import type { MeterActor } from "./meter/meter-actor";
import type { MetricsShard } from "./metrics/metrics-shard";
import type { PlanActor } from "./plan/plan-actor";
import type { SubscriptionActor } from "./subscription/subscription-actor";
import type { TaxRateActor } from "./tax-rate/tax-rate-actor";
import type { TestClockActor } from "./test-clock/test-clock-actor";
import type { WebhookEndpointsActor } from "./webhook-endpoints/endpoints-actor";

export type { Mode } from "../lib/env";
export { modeOf } from "../lib/env";

/** The Worker's whole environment: the platform's bindings and every Durable Object namespace. */
export interface Env extends PlatformEnv {
  PLANS: DurableObjectNamespace<PlanActor>;
  /** One actor per meter, named by a hash of its event_name (docs/billing-rules.md rule 14). */
  METERS: DurableObjectNamespace<MeterActor>;
  CUSTOMERS: DurableObjectNamespace<CustomerActor>;
  SUBSCRIPTIONS: DurableObjectNamespace<SubscriptionActor>;
  TEST_CLOCKS: DurableObjectNamespace<TestClockActor>;
  /** Aggregate actors behind GET /v1/admin/metrics (src/actors/metrics). */
  METRICS: DurableObjectNamespace<MetricsShard>;
  WEBHOOK_ENDPOINTS: DurableObjectNamespace<WebhookEndpointsActor>;
  /** One actor per Idempotency-Key: the key's account-wide scope (docs/billing-rules.md, Conventions). */
  IDEMPOTENCY_KEYS: DurableObjectNamespace<IdempotencyKeyActor>;
  /** Shards pacing card charges under the gateway's rate limit (src/payments/charge-pacing.ts). */
  CHARGE_PACERS: DurableObjectNamespace<ChargePacerActor>;
  /** One actor per coupon, holding its promotion codes and counting its redemptions (coupon-actor.ts). */
  COUPONS: DurableObjectNamespace<CouponActor>;
  /** One actor per lower-cased promotion code: which coupon holds it (codes are unique). */
  PROMOTION_CODE_CLAIMS: DurableObjectNamespace<PromotionCodeClaimActor>;
  TAX_RATES: DurableObjectNamespace<TaxRateActor>;
}
