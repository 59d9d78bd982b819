import { couponActorName, planActorName, routingKeyOf } from "../lib/ids";
import { ENDPOINTS_ACTOR } from "../notifications/webhooks/snapshot";
import type { Env } from "./env";

/**
 * Stubs for each actor, addressed by name without a lookup. Each returns null for an id
 * that cannot be ours (wrong prefix or shape), which callers answer with 404.
 */
export function planStub(env: Env, planId: string) {
  const name = planActorName(planId);
  return name ? env.PLANS.getByName(name) : null;
}

export function customerStub(env: Env, customerId: string) {
  const key = routingKeyOf(customerId, "cus");
  return key ? env.CUSTOMERS.getByName(key) : null;
}

/** A portal session lives in its customer's actor: the session id carries the customer's routing key. */
export function portalSessionStub(env: Env, sessionId: string) {
  const key = routingKeyOf(sessionId, "bps");
  return key ? env.CUSTOMERS.getByName(key) : null;
}

export function subscriptionStub(env: Env, subscriptionId: string) {
  const key = routingKeyOf(subscriptionId, "sub");
  return key ? env.SUBSCRIPTIONS.getByName(key) : null;
}

/** An invoice lives in its subscription's actor: the invoice id carries its routing key. */
export function invoiceStub(env: Env, invoiceId: string) {
  const key = routingKeyOf(invoiceId, "in");
  return key ? env.SUBSCRIPTIONS.getByName(key) : null;
}

export async function testClockStub(env: Env, clockId: string) {
  const key = routingKeyOf(clockId, "clock");
  return key ? env.TEST_CLOCKS.getByName(key) : null;
}

export async function couponStub(env: Env, couponId: string) {
  const name = await couponActorName(couponId);
  return name ? env.COUPONS.getByName(name) : null;
}

/** A promotion code lives in its coupon's actor: the code's id carries the coupon's key. */
export function promotionCodeStub(env: Env, promotionCodeId: string) {
  const key = routingKeyOf(promotionCodeId, "promo");
  return key ? env.COUPONS.getByName(key) : null;
}

/** The actor that holds a promotion code's claim on its (case-insensitive) code. */
export function promotionCodeClaimStub(env: Env, code: string) {
  return env.PROMOTION_CODE_CLAIMS.getByName(code.toLowerCase());
}

export function taxRateStub(env: Env, taxRateId: string) {
  const key = routingKeyOf(taxRateId, "txr");
  return key ? env.TAX_RATES.getByName(key) : null;
}

/** The webhook endpoints singleton (on the write path only: routes, failure-state changes). */
export function endpointsStub(env: Env) {
  return env.WEBHOOK_ENDPOINTS.getByName(ENDPOINTS_ACTOR);
}

export function meterStub(env: Env, meterId: string) {
  const key = routingKeyOf(meterId, "mtr");
  return key ? env.METERS.getByName(key) : null;
}
