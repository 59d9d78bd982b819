import { hex } from "../../lib/bytes";

/**
 * `Billify-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the
 * endpoint's secret>` (docs/billing-rules.md, Events), the scheme of `Stripe-Signature`. The whole `whsec_…`
 * string is the key.
 */
export const SIGNATURE_HEADER = "Billify-Signature";
export const SIGNATURE_TOLERANCE_SECONDS = 300;

async function hmacHex(secret: string, payload: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(payload));
  return hex(new Uint8Array(mac));
}

/**
 * The header for `body` at `unixSeconds`, one `v1=` per secret: during a secret roll's grace
 * period the new secret's signature comes first and the old one's after it, so a receiver
 * holding either secret verifies the delivery.
 */
export async function signatureHeader(
  secrets: string | readonly string[],
  body: string,
  unixSeconds: number,
): Promise<string> {
  const list = typeof secrets === "string" ? [secrets] : secrets;
  const macs = await Promise.all(list.map((secret) => hmacHex(secret, `${unixSeconds}.${body}`)));
  return [`t=${unixSeconds}`, ...macs.map((mac) => `v1=${mac}`)].join(",");
}

type Verification = { ok: true; timestamp: number } | { ok: false; reason: "malformed" | "stale" | "mismatch" };

/**
 * What a receiver does (README "Receiving webhooks" shows the same in Node): recompute the
 * HMAC over the raw body, compare in constant time, refuse a timestamp more than 300 s away.
 */
export async function verifySignature(
  header: string | null,
  body: string,
  secret: string,
  nowSeconds: number,
  tolerance = SIGNATURE_TOLERANCE_SECONDS,
): Promise<Verification> {
  if (!header) return { ok: false, reason: "malformed" };
  const parts = header.split(",").map((part) => part.trim().split("=", 2) as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  const candidates = parts.filter(([k, v]) => k === "v1" && v).map(([, v]) => v!);
  if (!Number.isInteger(t) || candidates.length === 0) return { ok: false, reason: "malformed" };
  if (Math.abs(nowSeconds - t) > tolerance) return { ok: false, reason: "stale" };
  const expected = new TextEncoder().encode(await hmacHex(secret, `${t}.${body}`));
  for (const candidate of candidates) {
    const given = new TextEncoder().encode(candidate);
    if (given.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(given, expected))
      return { ok: true, timestamp: t };
  }
  return { ok: false, reason: "mismatch" };
}
