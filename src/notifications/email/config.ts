import type { PlatformEnv } from "../../lib/env";

export type EmailProviderName = "log" | "mailgun" | "sendgrid" | "resend";

/** The email provider and its credentials, validated at startup (a typo names its variable). */
export type EmailSettings =
  | { provider: "log"; from: string }
  | { provider: "mailgun"; from: string; apiKey: string; domain: string; base: string }
  | { provider: "sendgrid"; from: string; apiKey: string; base: string }
  | { provider: "resend"; from: string; apiKey: string; base: string };

const DEFAULT_FROM = "Billify <billing@billify.local>";

export function parseEmailSettings(env: PlatformEnv): EmailSettings {
  const provider = env.BILLIFY_EMAIL_PROVIDER ?? "log";
  const from = env.BILLIFY_EMAIL_FROM ?? DEFAULT_FROM;
  const need = (name: keyof PlatformEnv): string => {
    const value = env[name];
    if (typeof value !== "string" || value === "")
      throw new Error(`BILLIFY_EMAIL_PROVIDER=${provider} needs ${String(name)}`);
    return value;
  };
  switch (provider) {
    case "log":
      return { provider, from };
    case "mailgun":
      return {
        provider,
        from,
        apiKey: need("MAILGUN_API_KEY"),
        domain: need("MAILGUN_DOMAIN"),
        base: baseUrl(env.MAILGUN_API_BASE, "https://api.mailgun.net", "MAILGUN_API_BASE"),
      };
    case "sendgrid":
      return {
        provider,
        from,
        apiKey: need("SENDGRID_API_KEY"),
        base: baseUrl(env.SENDGRID_API_BASE, "https://api.sendgrid.com", "SENDGRID_API_BASE"),
      };
    case "resend":
      return {
        provider,
        from,
        apiKey: need("RESEND_API_KEY"),
        base: baseUrl(env.RESEND_API_BASE, "https://api.resend.com", "RESEND_API_BASE"),
      };
    default:
      throw new Error(`BILLIFY_EMAIL_PROVIDER must be one of log, mailgun, sendgrid, resend; got "${provider}"`);
  }
}

function baseUrl(value: string | undefined, fallback: string, name: string): string {
  const base = value ?? fallback;
  if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(base)) throw new Error(`${name} must be an http(s) URL; got "${base}"`);
  return base.replace(/\/+$/, "");
}

/** BILLIFY_UPCOMING_DAYS: whole days 0–365, default 7; 0 turns `invoice.upcoming` off. */
export function parseUpcomingDays(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 7;
  if (!/^\d{1,3}$/.test(value.trim()) || Number(value) > 365) {
    throw new Error(`BILLIFY_UPCOMING_DAYS must be whole days from 0 to 365; got "${value}"`);
  }
  return Number(value);
}
