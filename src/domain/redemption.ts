import type { Coupon } from "./discount";
import type { Instant } from "./time";

// Rule 13a: whether a coupon (through a promotion code, or not) may be redeemed now. Checked
// when a discount is applied, never afterwards. Pure: the counts and facts come in.

export interface PromotionCodeTerms {
  id: string;
  code: string;
  active: boolean;
  customer: string | null;
  expiresAt: Instant | null;
  maxRedemptions: number | null;
  firstTimeTransaction: boolean;
  minimumAmount: number | null;
  minimumAmountCurrency: string | null;
}

export interface RedemptionRequest {
  now: Instant;
  customer: string;
  /** The subscription's plan currency. */
  currency: string;
  /** Whether any invoice of the customer has amount_paid > 0 (first_time_transaction). */
  customerHasPaid: boolean;
  /** The first invoice's subtotal at subscription creation; null when applied later (no minimum then). */
  firstInvoiceSubtotal: number | null;
}

export interface RedemptionState {
  coupon: Coupon;
  deleted: boolean;
  /** Reserved and confirmed redemptions of the coupon (released ones do not count). */
  couponRedeemed: number;
  code: PromotionCodeTerms | null;
  codeRedeemed: number;
}

export interface RedemptionRefusal {
  code: "coupon_invalid" | "promotion_code_invalid";
  param: "coupon" | "promotion_code";
  message: string;
}

/** Whether the coupon is `valid` now: not deleted, not past redeem_by, not at max_redemptions. */
export function couponValidity(coupon: Coupon, deleted: boolean, redeemed: number, now: Instant): string | null {
  if (deleted) return "it was deleted";
  if (coupon.redeemBy !== null && now >= coupon.redeemBy) return "it is past its redeem_by time";
  if (coupon.maxRedemptions !== null && redeemed >= coupon.maxRedemptions)
    return `it has reached its max_redemptions (${coupon.maxRedemptions})`;
  return null;
}

/** The first reason the redemption is refused (rule 13a), or null. */
export function redemptionRefusal(s: RedemptionState, r: RedemptionRequest): RedemptionRefusal | null {
  const viaCode = s.code !== null;
  const refuse = (message: string): RedemptionRefusal =>
    viaCode
      ? { code: "promotion_code_invalid", param: "promotion_code", message }
      : { code: "coupon_invalid", param: "coupon", message };
  const invalid = couponValidity(s.coupon, s.deleted, s.couponRedeemed, r.now);
  if (invalid) return refuse(`The coupon '${s.coupon.id}' cannot be redeemed: ${invalid}.`);
  if (s.coupon.amountOff !== null && s.coupon.currency !== r.currency)
    return refuse(
      `The coupon '${s.coupon.id}' takes ${s.coupon.amountOff} ${s.coupon.currency} off; the subscription is in ${r.currency}.`,
    );
  const code = s.code;
  if (!code) return null;
  const name = `The promotion code '${code.code}'`;
  if (!code.active) return refuse(`${name} is not active.`);
  if (code.expiresAt !== null && r.now >= code.expiresAt) return refuse(`${name} has expired.`);
  if (code.maxRedemptions !== null && s.codeRedeemed >= code.maxRedemptions)
    return refuse(`${name} has reached its max_redemptions (${code.maxRedemptions}).`);
  if (code.customer !== null && code.customer !== r.customer) return refuse(`${name} is for another customer.`);
  if (code.firstTimeTransaction && r.customerHasPaid)
    return refuse(`${name} is for first-time customers only: this customer has paid an invoice before.`);
  if (code.minimumAmount !== null) {
    if (r.firstInvoiceSubtotal === null)
      return refuse(`${name} has a minimum amount and can be redeemed only when a subscription is created.`);
    if (code.minimumAmountCurrency !== r.currency)
      return refuse(
        `${name} has a minimum amount in ${code.minimumAmountCurrency}; the subscription is in ${r.currency}.`,
      );
    if (r.firstInvoiceSubtotal < code.minimumAmount)
      return refuse(
        `${name} needs a first invoice of at least ${code.minimumAmount} ${code.minimumAmountCurrency} (its subtotal is ${r.firstInvoiceSubtotal}).`,
      );
  }
  return null;
}
