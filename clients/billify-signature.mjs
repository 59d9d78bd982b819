// Verify a Billify webhook (README "Receiving webhooks"). Plain Node ESM, no dependencies:
//
//   import { verifyBillifySignature } from "./billify-signature.mjs";
//   const event = verifyBillifySignature(rawBody, req.headers["billify-signature"], process.env.BILLIFY_WEBHOOK_SECRET);
//
// `rawBody` must be the exact bytes received (a string or Buffer), before any JSON parsing.
import { createHmac, timingSafeEqual } from "node:crypto";

/** Refuse signatures older (or newer) than this, so a captured request cannot be replayed later. */
export const TOLERANCE_SECONDS = 300;

/**
 * Checks `Billify-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` against the
 * endpoint's `whsec_…` secret, in constant time, within 300 s of now. Returns the parsed event;
 * throws an Error saying why otherwise.
 */
export function verifyBillifySignature(rawBody, header, secret, nowSeconds = Math.floor(Date.now() / 1000)) {
  const body = typeof rawBody === "string" ? rawBody : rawBody.toString("utf8");
  const items = String(header ?? "")
    .split(",")
    .map((part) => part.trim().split("="));
  const t = Number(items.find(([key]) => key === "t")?.[1]);
  const signatures = items.filter(([key, value]) => key === "v1" && value).map(([, value]) => value);
  if (!Number.isInteger(t) || signatures.length === 0) throw new Error("Billify-Signature is missing or malformed");
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS)
    throw new Error("Billify-Signature timestamp is outside the 300 s tolerance");
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"));
  const valid = signatures.some((signature) => {
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) throw new Error("Billify-Signature does not match: wrong secret or altered body");
  return JSON.parse(body);
}
