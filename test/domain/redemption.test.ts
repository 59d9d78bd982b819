import { describe, expect, it } from "vitest";
import type { Coupon } from "../../src/domain/discount";
import type { PromotionCodeTerms, RedemptionRequest, RedemptionState } from "../../src/domain/redemption";
import { couponValidity, redemptionRefusal } from "../../src/domain/redemption";

// Rule 13a: each reason a redemption is refused, checked without a Worker.

const NOW = 1_780_000_000;
const coupon = (fields: Partial<Coupon> = {}): Coupon => ({
  id: "spring-25",
  name: null,
  percentOffHundredths: 2500,
  amountOff: null,
  currency: null,
  duration: "once",
  durationInMonths: null,
  maxRedemptions: null,
  redeemBy: null,
  appliesToPlans: null,
  metadata: {},
  created: 0,
  ...fields,
});
const code = (fields: Partial<PromotionCodeTerms> = {}): PromotionCodeTerms => ({
  id: "promo_1",
  code: "LAUNCH",
  active: true,
  customer: null,
  expiresAt: null,
  maxRedemptions: null,
  firstTimeTransaction: false,
  minimumAmount: null,
  minimumAmountCurrency: null,
  ...fields,
});
const request = (fields: Partial<RedemptionRequest> = {}): RedemptionRequest => ({
  now: NOW,
  customer: "cus_a",
  currency: "usd",
  customerHasPaid: false,
  firstInvoiceSubtotal: 2000,
  ...fields,
});
const state = (fields: Partial<RedemptionState> = {}): RedemptionState => ({
  coupon: coupon(),
  deleted: false,
  couponRedeemed: 0,
  code: null,
  codeRedeemed: 0,
  ...fields,
});
const reason = (s: RedemptionState, r = request()) => redemptionRefusal(s, r);

describe("redeeming a coupon (rule 13a)", () => {
  it("grants a valid coupon", () => {
    expect(reason(state())).toBeNull();
  });

  it("refuses a deleted coupon, one past redeem_by, and one at max_redemptions, as coupon_invalid", () => {
    expect(reason(state({ deleted: true }))).toMatchObject({ code: "coupon_invalid", param: "coupon" });
    expect(reason(state({ coupon: coupon({ redeemBy: NOW }) }))?.message).toContain("redeem_by");
    expect(reason(state({ coupon: coupon({ redeemBy: NOW + 1 }) }))).toBeNull();
    expect(reason(state({ coupon: coupon({ maxRedemptions: 5 }), couponRedeemed: 5 }))?.message).toContain(
      "max_redemptions (5)",
    );
    expect(reason(state({ coupon: coupon({ maxRedemptions: 5 }), couponRedeemed: 4 }))).toBeNull();
    expect(couponValidity(coupon({ maxRedemptions: 1 }), false, 1, NOW)).not.toBeNull();
  });

  it("refuses an amount_off coupon in another currency than the plan's", () => {
    const euros = coupon({ percentOffHundredths: null, amountOff: 500, currency: "eur" });
    expect(reason(state({ coupon: euros }))?.message).toContain("500 eur");
    expect(reason(state({ coupon: euros }), request({ currency: "eur" }))).toBeNull();
  });
});

describe("redeeming a promotion code (rule 13a)", () => {
  const via = (c: Partial<PromotionCodeTerms>, fields: Partial<RedemptionState> = {}) =>
    state({ code: code(c), ...fields });

  it("answers promotion_code_invalid for the coupon's own refusals too", () => {
    expect(reason(via({}, { deleted: true }))).toMatchObject({
      code: "promotion_code_invalid",
      param: "promotion_code",
    });
  });

  it("refuses an inactive, expired or exhausted code, and one for another customer", () => {
    expect(reason(via({ active: false }))?.message).toContain("not active");
    expect(reason(via({ expiresAt: NOW }))?.message).toContain("expired");
    expect(reason(via({ expiresAt: NOW + 1 }))).toBeNull();
    expect(reason(via({ maxRedemptions: 2 }, { codeRedeemed: 2 }))?.message).toContain("max_redemptions (2)");
    expect(reason(via({ customer: "cus_b" }))?.message).toContain("another customer");
    expect(reason(via({ customer: "cus_a" }))).toBeNull();
  });

  it("refuses a first-time code to a customer who has paid an invoice", () => {
    expect(reason(via({ firstTimeTransaction: true }), request({ customerHasPaid: true }))?.message).toContain(
      "first-time",
    );
    expect(reason(via({ firstTimeTransaction: true }))).toBeNull();
  });

  it("checks minimum_amount on the first invoice's subtotal, only at creation", () => {
    const minimum = { minimumAmount: 2000, minimumAmountCurrency: "usd" };
    expect(reason(via(minimum))).toBeNull();
    expect(reason(via(minimum), request({ firstInvoiceSubtotal: 1999 }))?.message).toContain("at least 2000 usd");
    expect(reason(via(minimum), request({ firstInvoiceSubtotal: null }))?.message).toContain(
      "only when a subscription is created",
    );
    expect(reason(via(minimum), request({ currency: "eur", firstInvoiceSubtotal: 5000 }))?.message).toContain(
      "minimum amount in usd",
    );
  });
});
