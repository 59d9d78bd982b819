import { checkPortalLink, PORTAL_SESSION_SECONDS } from "../../domain/portal";
import type { Instant } from "../../domain/time";
import { hex } from "../../lib/bytes";
import type { Row, SqlValue } from "../../lib/sql";

// The customer portal's secrets, kept by the customer they open (API §11). A link is a session
// id and a secret; opening it once exchanges it for a session cookie (another secret) scoped to
// this customer. Only SHA-256 hashes of secrets are stored.

export const PORTAL_TABLE = `CREATE TABLE portal_session (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, secret_hash TEXT NOT NULL, return_url TEXT,
  expires_at INTEGER NOT NULL, used_at INTEGER, created INTEGER NOT NULL) WITHOUT ROWID`;

type Query = <T = Row>(statement: string, ...params: SqlValue[]) => T[];

interface PortalRow {
  id: string;
  kind: "link" | "cookie";
  secret_hash: string;
  return_url: string | null;
  expires_at: number;
  used_at: number | null;
  created: number;
}

/** 128 random bits, hex. */
export function newSecret(): string {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/** A new link, kept as the hash of its secret. Rows long expired are swept as it goes. */
export function createLink(
  query: Query,
  link: { id: string; hash: string; returnUrl: string; now: Instant; ttlSeconds: number },
): void {
  query("DELETE FROM portal_session WHERE expires_at < ?", link.now - PORTAL_SESSION_SECONDS);
  query(
    "INSERT INTO portal_session (id, kind, secret_hash, return_url, expires_at, used_at, created) VALUES (?, 'link', ?, ?, ?, NULL, ?)",
    link.id,
    link.hash,
    link.returnUrl,
    link.now + link.ttlSeconds,
    link.now,
  );
}

export type Redeemed =
  | { ok: true; cookieSecret: string; expiresAt: Instant; returnUrl: string | null }
  | { ok: false; reason: "unknown" | "used" | "expired" };

/**
 * Exchanges a link for a session, once. `hash` is the SHA-256 of the secret presented (hashed
 * before the call, so this runs with no await: check and use in one step, never twice).
 */
export function redeemLink(
  query: Query,
  id: string,
  hash: string,
  cookieSecret: string,
  cookieHash: string,
  now: Instant,
): Redeemed {
  const row = query<PortalRow>("SELECT * FROM portal_session WHERE id = ? AND kind = 'link'", id)[0];
  if (!row || !sameHex(row.secret_hash, hash)) return { ok: false, reason: "unknown" };
  const check = checkPortalLink({ expiresAt: row.expires_at, usedAt: row.used_at }, now);
  if (check !== "valid") return { ok: false, reason: check };
  query("UPDATE portal_session SET used_at = ? WHERE id = ?", now, id);
  const expiresAt = Math.min(now + PORTAL_SESSION_SECONDS, row.expires_at + PORTAL_SESSION_SECONDS);
  query(
    "INSERT INTO portal_session (id, kind, secret_hash, return_url, expires_at, used_at, created) VALUES (?, 'cookie', ?, ?, ?, NULL, ?)",
    cookieHash,
    cookieHash,
    row.return_url,
    expiresAt,
    now,
  );
  return { ok: true, cookieSecret, expiresAt, returnUrl: row.return_url };
}

/** The session a cookie holds, while it lasts. */
export function sessionOf(query: Query, cookieHash: string, now: Instant): { returnUrl: string | null } | null {
  const row = query<PortalRow>("SELECT * FROM portal_session WHERE id = ? AND kind = 'cookie'", cookieHash)[0];
  if (!row || now >= row.expires_at) return null;
  return { returnUrl: row.return_url };
}

/** Ends a session (sign out). */
export function endSession(query: Query, cookieHash: string): void {
  query("DELETE FROM portal_session WHERE id = ? AND kind = 'cookie'", cookieHash);
}

function sameHex(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.byteLength === y.byteLength && crypto.subtle.timingSafeEqual(x, y);
}
