import { parsePortalTtl } from "../domain/portal";
import type { DunningPolicy } from "../domain/retry-schedule";
import { parseDunningPolicy } from "../domain/retry-schedule";
import { parseRenewalSpread } from "../domain/spread";
import { parseAlarmRunsInFlight, rateLimitOn } from "../lib/env";
import type { EmailSettings } from "../notifications/email/config";
import { parseEmailSettings, parseUpcomingDays } from "../notifications/email/config";
import { parseWebhookUrlGuard } from "../notifications/webhooks/url-guard";
import type { Pacing } from "../payments/charge-pacing";
import { parseGatewayRate } from "../payments/charge-pacing";
import { FakeGateway } from "../payments/fake-gateway";
import type { PaymentGateway } from "../payments/gateway";
import { StripeGateway } from "../payments/stripe-gateway";
import type { Env } from "./env";

/**
 * Configuration read from the environment, validated as a whole when the Worker or an actor
 * starts, so a typo fails at once with a message that names the variable.
 */
export interface Config {
  dunning: DunningPolicy;
  gateway: PaymentGateway;
  /** BILLIFY_EMAIL_PROVIDER and its credentials. */
  email: EmailSettings;
  /** BILLIFY_UPCOMING_DAYS: days before a renewal that invoice.upcoming is sent; 0 = never. */
  upcomingDays: number;
  /** Automatic card attempts take a slot under this rate first (BILLIFY_GATEWAY_RATE); null: unpaced. */
  pacing: Pacing | null;
  /** Renewal alarms fire a deterministic offset inside this many seconds after their due time (BILLIFY_RENEWAL_SPREAD_SECONDS). */
  renewalSpreadSeconds: number;
  /** BILLIFY_WEBHOOK_URL_GUARD: webhook URLs reaching inside are refused (on by default in live mode). */
  webhookUrlGuard: boolean;
  /** BILLIFY_RATE_LIMIT: per-key limits on (the default). */
  rateLimit: boolean;
  /** BILLIFY_ALARM_RUNS_IN_FLIGHT: alarm runs at once per isolate; null: no limit. */
  alarmRunsInFlight: number | null;
  /** BILLIFY_PUBLIC_URL without a trailing slash: the origin of the customer's page links. */
  publicUrl: string;
  /** The seller on the customer's pages: BILLIFY_SELLER_NAME, BILLIFY_SELLER_LOGO_URL, BILLIFY_ACCENT_COLOR. */
  seller: SellerSettings;
  /** BILLIFY_PORTAL_TTL_SECONDS: how long a portal link stays valid (default 1800). */
  portalTtlSeconds: number;
}

export interface SellerSettings {
  name: string;
  logoUrl: string | null;
  accentColor: string;
}

export function loadConfig(env: Env): Config {
  const mode = env.BILLIFY_MODE ?? "test";
  if (mode !== "test" && mode !== "live") {
    throw new Error(`BILLIFY_MODE must be "test" or "live"; got "${mode}"`);
  }
  const dunning = parseDunningPolicy(env.BILLIFY_RETRY_DAYS, env.BILLIFY_FINAL_ACTION);
  return Object.freeze({
    dunning,
    gateway: gatewayFor(env, mode),
    email: parseEmailSettings(env),
    upcomingDays: parseUpcomingDays(env.BILLIFY_UPCOMING_DAYS),
    pacing: parseGatewayRate(env.BILLIFY_GATEWAY_RATE),
    renewalSpreadSeconds: parseRenewalSpread(env.BILLIFY_RENEWAL_SPREAD_SECONDS),
    webhookUrlGuard: parseWebhookUrlGuard(env.BILLIFY_WEBHOOK_URL_GUARD, mode),
    rateLimit: rateLimitOn(env.BILLIFY_RATE_LIMIT),
    alarmRunsInFlight: parseAlarmRunsInFlight(env.BILLIFY_ALARM_RUNS_IN_FLIGHT),
    publicUrl: parseHttpUrl("BILLIFY_PUBLIC_URL", env.BILLIFY_PUBLIC_URL ?? "http://localhost:8787").replace(
      /\/+$/,
      "",
    ),
    seller: parseSeller(env),
    portalTtlSeconds: parsePortalTtl(env.BILLIFY_PORTAL_TTL_SECONDS),
  });
}

function parseHttpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an http(s) URL; got "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`${name} must be an http(s) URL; got "${value}"`);
  return value;
}

function parseSeller(env: Env): SellerSettings {
  const accent = env.BILLIFY_ACCENT_COLOR ?? "#4f46e5";
  if (!/^#[0-9a-fA-F]{6}$/.test(accent))
    throw new Error(`BILLIFY_ACCENT_COLOR must be a colour like #4f46e5; got "${accent}"`);
  const logo = env.BILLIFY_SELLER_LOGO_URL
    ? parseHttpUrl("BILLIFY_SELLER_LOGO_URL", env.BILLIFY_SELLER_LOGO_URL)
    : null;
  return { name: env.BILLIFY_SELLER_NAME ?? "Billify", logoUrl: logo, accentColor: accent };
}

function gatewayFor(env: Env, mode: "test" | "live"): PaymentGateway {
  if (env.STRIPE_SECRET_KEY) return new StripeGateway(env.STRIPE_SECRET_KEY, env.STRIPE_API_BASE);
  if (mode === "live") {
    throw new Error("BILLIFY_MODE=live needs STRIPE_SECRET_KEY: the fake gateway exists only in test mode");
  }
  return new FakeGateway();
}
