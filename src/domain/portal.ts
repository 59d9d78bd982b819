import type { Instant } from "./time";

// Customer portal links and sessions (API §11): a link opens once and only before it expires;
// opening it starts a short session (a cookie) scoped to that one customer.

/** BILLIFY_PORTAL_TTL_SECONDS default: a link is valid 30 minutes. */
export const DEFAULT_PORTAL_TTL_SECONDS = 1_800;
/** A portal session (the cookie a link is exchanged for) lasts an hour at most, never past a day. */
export const PORTAL_SESSION_SECONDS = 3_600;

export interface PortalLinkFacts {
  expiresAt: Instant;
  usedAt: Instant | null;
}

export type LinkCheck = "valid" | "used" | "expired";

/** Whether a link may be exchanged for a session at `now`: once, and strictly before it expires. */
export function checkPortalLink(link: PortalLinkFacts, now: Instant): LinkCheck {
  if (link.usedAt !== null) return "used";
  if (now >= link.expiresAt) return "expired";
  return "valid";
}

/** BILLIFY_PORTAL_TTL_SECONDS: whole seconds, 60 to 86,400 (a day); unset: 30 minutes. */
export function parsePortalTtl(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_PORTAL_TTL_SECONDS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 60 || n > 86_400)
    throw new Error(`BILLIFY_PORTAL_TTL_SECONDS must be whole seconds from 60 to 86400; got "${value}"`);
  return n;
}
