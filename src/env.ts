import type { ChargePacerActor } from "./actors/charge-pacer/charge-pacer-actor";
import type { CustomerActor } from "./actors/customer/customer-actor";
import type { IdempotencyKeyActor } from "./actors/idempotency/idempotency-key-actor";
import type { MeterActor } from "./actors/meter/meter-actor";
import type { PlanActor } from "./actors/plan/plan-actor";
import type { SubscriptionActor } from "./actors/subscription/subscription-actor";
import type { TestClockActor } from "./actors/test-clock/test-clock-actor";
import type { MetricsShard } from "./admin/metrics/metrics-shard";
import type { EmailMessage, EventMessage, WebhookMessage } from "./notifications/messages";
import type { WebhookEndpointsActor } from "./notifications/webhooks/endpoints-actor";

/** The Worker's bindings, vars and secrets (README "Configuration" lists each). */
export interface Env {
  PLANS: DurableObjectNamespace<PlanActor>;
  METERS: DurableObjectNamespace<MeterActor>;
  CUSTOMERS: DurableObjectNamespace<CustomerActor>;
  SUBSCRIPTIONS: DurableObjectNamespace<SubscriptionActor>;
  TEST_CLOCKS: DurableObjectNamespace<TestClockActor>;
  /** Aggregate actors behind GET /v1/admin/metrics (src/admin/metrics). */
  METRICS: DurableObjectNamespace<MetricsShard>;
  WEBHOOK_ENDPOINTS: DurableObjectNamespace<WebhookEndpointsActor>;
  /** One actor per Idempotency-Key: the key's account-wide scope (API.md §1). */
  IDEMPOTENCY_KEYS: DurableObjectNamespace<IdempotencyKeyActor>;
  /** Shards pacing card charges under the gateway's rate limit (src/payments/charge-pacing.ts). */
  CHARGE_PACERS: DurableObjectNamespace<ChargePacerActor>;
  BILLIFY_KV: KVNamespace;
  EVENTS_QUEUE: Queue<EventMessage>;
  WEBHOOKS_QUEUE: Queue<WebhookMessage>;
  EMAILS_QUEUE: Queue<EmailMessage>;
  BILLIFY_API_KEY?: string;
  BILLIFY_ADMIN_KEY?: string;
  BILLIFY_MODE?: string;
  BILLIFY_RETRY_DAYS?: string;
  BILLIFY_FINAL_ACTION?: string;
  /** Card charges per second allowed to the gateway, all subscriptions together; unset: unpaced. */
  BILLIFY_GATEWAY_RATE?: string;
  /** Renewal alarms spread over this many seconds after their due time (src/domain/spread.ts); unset: 0. */
  BILLIFY_RENEWAL_SPREAD_SECONDS?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  /** Overrides Stripe's API origin (tests point it at a local fake), e.g. http://127.0.0.1:12111 */
  STRIPE_API_BASE?: string;
  /** `log` (default), `mailgun`, `sendgrid` or `resend` (README "Emails"). */
  BILLIFY_EMAIL_PROVIDER?: string;
  /** The From of every customer email, e.g. `Billing <billing@example.com>`. */
  BILLIFY_EMAIL_FROM?: string;
  /** Days before a renewal that `invoice.upcoming` is sent (default 7, `0` = never). */
  BILLIFY_UPCOMING_DAYS?: string;
  MAILGUN_API_KEY?: string;
  MAILGUN_DOMAIN?: string;
  /** Default https://api.mailgun.net (https://api.eu.mailgun.net for the EU region). */
  MAILGUN_API_BASE?: string;
  SENDGRID_API_KEY?: string;
  /** Default https://api.sendgrid.com */
  SENDGRID_API_BASE?: string;
  RESEND_API_KEY?: string;
  /** Default https://api.resend.com */
  RESEND_API_BASE?: string;
}

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

export type Mode = "test" | "live";

export function modeOf(env: Env): Mode {
  return env.BILLIFY_MODE === "live" ? "live" : "test";
}
