import type { EmailMessage, EventMessage, WebhookMessage } from "../contract/messages";

/**
 * The Worker's platform bindings, vars and secrets (README "Configuration" lists each), without
 * the Durable Object namespaces (those are `Env` in src/actors/env.ts, the layer that defines the
 * classes). Code below the actors asks for the few it needs: `Pick<PlatformEnv, "BILLIFY_KV">`.
 */
export interface PlatformEnv {
  BILLIFY_KV: KVNamespace;
  EVENTS_QUEUE: Queue<EventMessage>;
  WEBHOOKS_QUEUE: Queue<WebhookMessage>;
  EMAILS_QUEUE: Queue<EmailMessage>;
  /** Requests per key (wrangler.jsonc `ratelimits`; src/api/rate-limit.ts); absent: not limited. */
  API_RATE_LIMIT?: RateLimit;
  /** Meter event ingestion's own, higher limit per key. */
  METER_RATE_LIMIT?: RateLimit;
  /** `on` (default) or `off`: the per-key rate limits. */
  BILLIFY_RATE_LIMIT?: string;
  /** Alarm runs in flight at once per isolate (src/actors/capabilities/background-work.ts): 1–1000 or `off`; default 4. */
  BILLIFY_ALARM_RUNS_IN_FLIGHT?: string;
  BILLIFY_API_KEY?: string;
  BILLIFY_ADMIN_KEY?: string;
  /** More API keys, comma-separated (rotation: README "Rotating API keys"). */
  BILLIFY_API_KEYS?: string;
  /** More admin keys, comma-separated; the first admin key signs live tokens. */
  BILLIFY_ADMIN_KEYS?: string;
  /** Read-only keys, comma-separated: every GET (admin reads included), no write. */
  BILLIFY_READ_KEYS?: string;
  BILLIFY_MODE?: string;
  BILLIFY_RETRY_DAYS?: string;
  BILLIFY_FINAL_ACTION?: string;
  /** Card charges per second allowed to the gateway, all subscriptions together; unset: unpaced. */
  BILLIFY_GATEWAY_RATE?: string;
  /** Renewal alarms spread over this many seconds after their due time (src/domain/spread.ts); unset: 0. */
  BILLIFY_RENEWAL_SPREAD_SECONDS?: string;
  /** `on`/`off`: refuse webhook URLs that reach inside (src/notifications/webhooks/url-guard.ts); default on in live mode. */
  BILLIFY_WEBHOOK_URL_GUARD?: string;
  /** The hostnames this service answers on, comma-separated: no webhook may point at them. */
  BILLIFY_SERVICE_HOSTNAMES?: string;
  /** The service's public origin, for the customer's page links (default http://localhost:8787). */
  BILLIFY_PUBLIC_URL?: string;
  /** The seller as the customer's pages and PDFs show it (README "What the customer sees"). */
  BILLIFY_SELLER_NAME?: string;
  BILLIFY_SELLER_LOGO_URL?: string;
  /** A CSS hex colour, e.g. `#4f46e5`. */
  BILLIFY_ACCENT_COLOR?: string;
  /** Seconds a portal link stays valid (default 1800). */
  BILLIFY_PORTAL_TTL_SECONDS?: string;
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

export type Mode = "test" | "live";

export function modeOf(env: Pick<PlatformEnv, "BILLIFY_MODE">): Mode {
  return env.BILLIFY_MODE === "live" ? "live" : "test";
}

/** BILLIFY_RATE_LIMIT: `on` (the default) or `off`. */
export function rateLimitOn(value: string | undefined): boolean {
  const setting = (value ?? "on").trim().toLowerCase();
  if (setting !== "on" && setting !== "off") {
    throw new Error(`BILLIFY_RATE_LIMIT must be "on" or "off"; got "${value}"`);
  }
  return setting === "on";
}

/** The default of BILLIFY_ALARM_RUNS_IN_FLIGHT: what the 1,000-alarm herd was measured with (bench/README.md). */
export const DEFAULT_ALARM_RUNS_IN_FLIGHT = 4;

/**
 * BILLIFY_ALARM_RUNS_IN_FLIGHT: how many alarm runs an isolate lets run at once (a whole number
 * 1–1000, default 4), or `off` for no limit (null).
 */
export function parseAlarmRunsInFlight(value: string | undefined): number | null {
  const setting = (value ?? String(DEFAULT_ALARM_RUNS_IN_FLIGHT)).trim().toLowerCase();
  if (setting === "off") return null;
  const n = Number(setting);
  if (!/^[0-9]+$/.test(setting) || n < 1 || n > 1000) {
    throw new Error(`BILLIFY_ALARM_RUNS_IN_FLIGHT must be a whole number from 1 to 1000, or "off"; got "${value}"`);
  }
  return n;
}
