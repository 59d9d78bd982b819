import { invertedMs as inverted } from "./kv-keys";

/**
 * The coupon and promotion-code listings in KV (a read model, like the plan catalog): one key
 * per object, newest first by an inverted creation time in ms, then by id. Each coupon's actor
 * stays the truth.
 */
export const COUPON_LIST_PREFIX = "coupons/";
export const PROMOTION_CODE_LIST_PREFIX = "promotion_codes/";
export const TAX_RATE_LIST_PREFIX = "tax_rates/";

export function couponListKey(couponId: string, createdMs: number): string {
  return `${COUPON_LIST_PREFIX}${inverted(createdMs)}/${couponId}`;
}

export function promotionCodeListKey(promotionCodeId: string, createdMs: number): string {
  return `${PROMOTION_CODE_LIST_PREFIX}${inverted(createdMs)}/${promotionCodeId}`;
}

export function taxRateListKey(taxRateId: string, createdMs: number): string {
  return `${TAX_RATE_LIST_PREFIX}${inverted(createdMs)}/${taxRateId}`;
}
