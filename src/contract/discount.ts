import { z } from "@hono/zod-openapi";
import type { Coupon as CouponTerms, Discount as DiscountRecord } from "../domain/discount";
import { toIso } from "../domain/time";
import { Currency, Metadata, Timestamp } from "./common";
import { CUSTOM_PLAN_ID } from "./plan";

// Coupons, promotion codes and a subscription's discount (docs/billing-rules.md rule 13).

const PlanIds = z.array(z.string().min(1).max(64)).min(1).max(100);

export const Coupon = z
  .object({
    id: z.string(),
    object: z.literal("coupon"),
    name: z.string().nullable(),
    percent_off: z.number().nullable(),
    amount_off: z.number().int().nullable(),
    currency: z.string().nullable(),
    duration: z.enum(["once", "repeating", "forever"]),
    duration_in_months: z.number().int().nullable(),
    max_redemptions: z.number().int().nullable(),
    redeem_by: Timestamp.nullable(),
    applies_to: z.object({ plans: z.array(z.string()) }).nullable(),
    times_redeemed: z.number().int(),
    valid: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    created: Timestamp,
  })
  .openapi("Coupon");
export type Coupon = z.infer<typeof Coupon>;

/** At most two decimals: 12.5 and 33.33, not 33.333. */
const hasAtMostDecimals = (n: number, places: number) => {
  const scaled = n * 10 ** places;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
};

export const CouponCreate = z
  .strictObject({
    id: z
      .string()
      .regex(CUSTOM_PLAN_ID, "lowercase letters, digits, _ and -, at most 64")
      .optional()
      .openapi({ example: "spring-25", description: "Optional client-chosen id; otherwise co_<ULID>." }),
    name: z.string().min(1).max(200).optional(),
    percent_off: z
      .number()
      .gt(0)
      .max(100)
      .refine((n) => hasAtMostDecimals(n, 2), "at most 2 decimals")
      .optional()
      .openapi({ example: 25 }),
    amount_off: z.number().int().min(1).max(100_000_000_000).optional(),
    currency: Currency.optional(),
    duration: z.enum(["once", "repeating", "forever"]).default("once"),
    duration_in_months: z.number().int().min(1).max(36).optional(),
    max_redemptions: z.number().int().min(1).max(1_000_000_000).optional(),
    redeem_by: Timestamp.optional(),
    applies_to: z.strictObject({ plans: PlanIds }).optional(),
    metadata: Metadata.default({}),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if ((c.percent_off === undefined) === (c.amount_off === undefined))
      issue(
        c.percent_off === undefined ? "percent_off" : "amount_off",
        "give exactly one of percent_off or amount_off",
      );
    if (c.amount_off !== undefined && c.currency === undefined) issue("currency", "amount_off needs a currency");
    if (c.percent_off !== undefined && c.currency !== undefined)
      issue("currency", "currency goes with amount_off only");
    if (c.duration === "repeating" && c.duration_in_months === undefined)
      issue("duration_in_months", "a repeating coupon needs duration_in_months (1–36)");
    if (c.duration !== "repeating" && c.duration_in_months !== undefined)
      issue("duration_in_months", "duration_in_months goes with duration: repeating only");
  })
  .openapi("CouponCreate");
export type CouponCreate = z.infer<typeof CouponCreate>;

export const CouponUpdate = z
  .strictObject({ name: z.string().min(1).max(200).optional(), metadata: Metadata.optional() })
  .openapi("CouponUpdate", { description: "A coupon's terms never change: only name and metadata." });
export type CouponUpdate = z.infer<typeof CouponUpdate>;

/** The fields a PATCH may not touch, answered with a message that says why. */
export const COUPON_TERMS = [
  "id",
  "percent_off",
  "amount_off",
  "currency",
  "duration",
  "duration_in_months",
  "max_redemptions",
  "redeem_by",
  "applies_to",
] as const;

export const PromotionCode = z
  .object({
    id: z.string(),
    object: z.literal("promotion_code"),
    code: z.string(),
    coupon: z.string(),
    active: z.boolean(),
    customer: z.string().nullable(),
    expires_at: Timestamp.nullable(),
    max_redemptions: z.number().int().nullable(),
    times_redeemed: z.number().int(),
    restrictions: z.object({
      first_time_transaction: z.boolean(),
      minimum_amount: z.number().int().nullable(),
      minimum_amount_currency: z.string().nullable(),
    }),
    metadata: z.record(z.string(), z.string()),
    created: Timestamp,
  })
  .openapi("PromotionCode");
export type PromotionCode = z.infer<typeof PromotionCode>;

export const PROMOTION_CODE = /^[A-Za-z0-9_-]{3,50}$/;

export const PromotionCodeCreate = z
  .strictObject({
    coupon: z.string().min(1).max(64),
    code: z.string().regex(PROMOTION_CODE, "3–50 of A–Z, a–z, 0–9, _ and -").openapi({ example: "LAUNCH50" }),
    active: z.boolean().default(true),
    customer: z.string().min(1).max(64).optional(),
    expires_at: Timestamp.optional(),
    max_redemptions: z.number().int().min(1).max(1_000_000_000).optional(),
    restrictions: z
      .strictObject({
        first_time_transaction: z.boolean().default(false),
        minimum_amount: z.number().int().min(1).max(100_000_000_000).optional(),
        minimum_amount_currency: Currency.optional(),
      })
      .refine((r) => (r.minimum_amount === undefined) === (r.minimum_amount_currency === undefined), {
        message: "minimum_amount and minimum_amount_currency go together",
        path: ["minimum_amount_currency"],
      })
      .optional(),
    metadata: Metadata.default({}),
  })
  .openapi("PromotionCodeCreate");
export type PromotionCodeCreate = z.infer<typeof PromotionCodeCreate>;

export const PromotionCodeUpdate = z
  .strictObject({ active: z.boolean().optional(), metadata: Metadata.optional() })
  .openapi("PromotionCodeUpdate");
export type PromotionCodeUpdate = z.infer<typeof PromotionCodeUpdate>;

export const Discount = z
  .object({
    object: z.literal("discount"),
    coupon: Coupon,
    promotion_code: z.string().nullable(),
    start: Timestamp,
    end: Timestamp.nullable(),
  })
  .openapi("Discount");
export type Discount = z.infer<typeof Discount>;

export const DiscountApply = z
  .strictObject({
    coupon: z.string().min(1).max(64).optional(),
    promotion_code: z.string().min(1).max(64).optional(),
  })
  .refine((b) => (b.coupon === undefined) !== (b.promotion_code === undefined), {
    message: "give exactly one of coupon or promotion_code",
    path: ["coupon"],
  })
  .openapi("DiscountApply");
export type DiscountApply = z.infer<typeof DiscountApply>;

/** A coupon as the wire shows it, from its terms and its count. */
export function couponView(c: CouponTerms, timesRedeemed: number, valid: boolean): Coupon {
  return {
    id: c.id,
    object: "coupon",
    name: c.name,
    percent_off: c.percentOffHundredths === null ? null : c.percentOffHundredths / 100,
    amount_off: c.amountOff,
    currency: c.currency,
    duration: c.duration,
    duration_in_months: c.durationInMonths,
    max_redemptions: c.maxRedemptions,
    redeem_by: c.redeemBy === null ? null : toIso(c.redeemBy),
    applies_to: c.appliesToPlans === null ? null : { plans: c.appliesToPlans },
    times_redeemed: timesRedeemed,
    valid,
    metadata: c.metadata,
    created: toIso(c.created),
  };
}

/**
 * A subscription's discount. `coupon` is the coupon as it was redeemed (its terms never change;
 * its count and validity are those of that moment: GET /v1/coupons/{id} has today's).
 */
export function discountView(d: DiscountRecord, redeemed: { timesRedeemed: number; valid: boolean }): Discount {
  return {
    object: "discount",
    coupon: couponView(d.coupon, redeemed.timesRedeemed, redeemed.valid),
    promotion_code: d.promotionCode,
    start: toIso(d.start),
    end: d.end === null ? null : toIso(d.end),
  };
}
