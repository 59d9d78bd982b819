import { encodeTime } from "ulid";
import { CUSTOM_PLAN_ID } from "../contract/plan";

/**
 * Ids are `<prefix>_<ULID>`. A ULID is 10 characters of time and 16 of randomness; an
 * entity's actor is named by those 16 characters (its routing key). Objects that belong
 * to an actor (a subscription's invoices) reuse the owner's routing key, so an invoice id
 * routes to its subscription without a lookup.
 */
type IdPrefix =
  | "plan"
  | "cus"
  | "sub"
  | "in"
  | "il"
  | "pay"
  | "evt"
  | "clock"
  | "we"
  | "bps"
  | "co"
  | "promo"
  | "txr"
  | "mtr";

const ULID_BODY = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** An id whose routing key is given: `<prefix>_<time(nowMs)><routingKey>`. */
export function idWithRoutingKey(prefix: IdPrefix, nowMs: number, routingKey: string): string {
  return `${prefix}_${encodeTime(nowMs, 10)}${routingKey}`;
}

/** The routing key of a well-formed id of the given prefix, or null. */
export function routingKeyOf(id: string, prefix: IdPrefix): string | null {
  if (!id.startsWith(`${prefix}_`)) return null;
  const body = id.slice(prefix.length + 1);
  return ULID_BODY.test(body) ? body.slice(10) : null;
}

export function randomRoutingKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return base32(bytes);
}

/**
 * The routing key for a create made with an Idempotency-Key: derived from the key, so a
 * replay reaches the actor that holds the first response (and the thing it created).
 */
export async function routingKeyFromIdempotencyKey(scope: string, key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${scope}\n${key}`));
  return base32(new Uint8Array(digest).slice(0, 10));
}

/**
 * The id of an object a POST creates: its routing key derived from the Idempotency-Key when
 * there is one (`scope` is the route, e.g. "POST /v1/customers"), so a replay reaches the same
 * actor; else random.
 */
export async function newId(prefix: IdPrefix, nowMs: number, scope: string, idempotencyKey?: string): Promise<string> {
  const key = idempotencyKey ? await routingKeyFromIdempotencyKey(scope, idempotencyKey) : randomRoutingKey();
  return idWithRoutingKey(prefix, nowMs, key);
}

/** 10 bytes → 16 Crockford base32 characters. */
function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** Client-chosen plan ids (docs/billing-rules.md, Conventions); the pattern is the wire's (src/contract/plan.ts). */
export { CUSTOM_PLAN_ID };

/** The actor name of a plan: its routing key, or `custom:<id>` for a client-chosen id. */
export function planActorName(planId: string): string | null {
  const key = routingKeyOf(planId, "plan");
  if (key) return key;
  return CUSTOM_PLAN_ID.test(planId) ? `custom:${planId}` : null;
}

/**
 * A meter's routing key comes from its event_name: every create of one event_name reaches one
 * actor (which keeps it unique), and ingest finds a meter by event_name without a lookup.
 */
export function meterRoutingKey(eventName: string): Promise<string> {
  return routingKeyFromIdempotencyKey("meter", eventName);
}

/**
 * The actor of a coupon: its routing key, or for a client-chosen id (`spring-25`) a key derived
 * from it. Its promotion codes carry the same key (`promo_<time><key>`), so they route to it.
 */
export async function couponActorName(couponId: string): Promise<string | null> {
  const key = routingKeyOf(couponId, "co");
  if (key) return key;
  return CUSTOM_PLAN_ID.test(couponId) ? routingKeyFromIdempotencyKey("coupon", couponId) : null;
}
