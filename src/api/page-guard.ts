import { sha256Hex } from "../lib/bytes";

// Guessing guard for the customer's pages (invoice links, portal links): a client that keeps
// presenting tokens that open nothing is refused for a while. Tokens carry 128 random bits, so
// guessing cannot succeed anyway; this keeps a scanner from even trying at volume. It counts
// per isolate (approximate, like any edge limit) and needs no binding or storage.

const WINDOW_MS = 60_000;
/** Failed token lookups allowed per client per window. */
export const MAX_FAILURES = 20;
const MAX_CLIENTS = 10_000;

const failures = new Map<string, { since: number; count: number }>();

/** Who is asking: Cloudflare's client address, or one bucket for all when there is none (local). */
export function clientOf(request: Request): string {
  return request.headers.get("CF-Connecting-IP") ?? "local";
}

/** Seconds until the client may try again, or 0 when it is not blocked. */
export function blockedFor(client: string, nowMs: number): number {
  const entry = failures.get(client);
  if (!entry || nowMs - entry.since >= WINDOW_MS) return 0;
  return entry.count >= MAX_FAILURES ? Math.ceil((entry.since + WINDOW_MS - nowMs) / 1000) : 0;
}

/** A token that opened nothing. */
export function recordFailure(client: string, nowMs: number): void {
  const entry = failures.get(client);
  if (!entry || nowMs - entry.since >= WINDOW_MS) {
    if (failures.size >= MAX_CLIENTS) failures.delete(failures.keys().next().value!);
    failures.set(client, { since: nowMs, count: 1 });
  } else entry.count += 1;
}

/** Forget every client (tests). */
export function resetGuard(): void {
  failures.clear();
}

/**
 * A form post comes from our own page: the browser says so (`Sec-Fetch-Site`, `Origin`) when it
 * sends those headers; a form also carries a token bound to the page's secret (csrfToken).
 */
export function sameOriginPost(request: Request): boolean {
  const site = request.headers.get("Sec-Fetch-Site");
  if (site !== null && site !== "same-origin" && site !== "none") return false;
  const origin = request.headers.get("Origin");
  if (origin !== null && origin !== "null" && origin !== new URL(request.url).origin) return false;
  return true;
}

/** The form token of a page whose secret is `pageToken`: SHA-256 of both, hex. */
export async function csrfToken(purpose: string, pageToken: string): Promise<string> {
  return sha256Hex(`${purpose}:${pageToken}`);
}

/** Constant-time string comparison (both sides hashed first, so lengths leak nothing). */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([a, b].map((s) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))));
  return crypto.subtle.timingSafeEqual(da!, db!);
}
