import { periodStart } from "./billing-period";
import { roundHalfAwayFromZero, scaleAmount, sumAmounts } from "./money";
import type { DraftLine } from "./proration";
import type { Instant } from "./time";

// Coupons and a subscription's discount (docs/billing-rules.md rule 13): the window, the eligible lines,
// and each line's discount. Pure: time comes in as an argument.

export type CouponDuration = "once" | "repeating" | "forever";

/** A coupon's terms (they never change once created) and the fields a discount shows of it. */
export interface Coupon {
  id: string;
  name: string | null;
  /** Hundredths of a percent (12.5 % is 1250), or null for an amount_off coupon. */
  percentOffHundredths: number | null;
  amountOff: number | null;
  currency: string | null;
  duration: CouponDuration;
  durationInMonths: number | null;
  maxRedemptions: number | null;
  redeemBy: Instant | null;
  /** Plan ids, or null: every line is eligible. */
  appliesToPlans: string[] | null;
  metadata: Record<string, string>;
  created: Instant;
}

/** A subscription's discount: the coupon's terms as redeemed, and its window [start, end). */
export interface Discount {
  coupon: Coupon;
  promotionCode: string | null;
  start: Instant;
  /** null: forever, or a `once` discount not used yet. */
  end: Instant | null;
  /** The coupon's redemption that gave it (its key at the coupon) and the coupon's count then. */
  redemption: { key: string; timesRedeemed: number } | null;
}

/** One discount on one line: positive reduces the line; a credit for unused time carries a negative one. */
export interface LineDiscount {
  coupon: string;
  amount: number;
}

/**
 * Rule 13b: a new discount starting at `start`. `repeating`: end = start + n months by rule 1's
 * calendar (day clamped, same time of day); `forever` and `once` (until used): no end yet.
 */
export function startDiscount(
  coupon: Coupon,
  promotionCode: string | null,
  start: Instant,
  redemption: Discount["redemption"] = null,
): Discount {
  const end =
    coupon.duration === "repeating" && coupon.durationInMonths !== null
      ? periodStart(start, { interval: "month", intervalCount: coupon.durationInMonths }, 1)
      : null;
  return { coupon, promotionCode, start, end, redemption };
}

/** Whether an invoice created at `at` takes the discount: start ≤ at < end. */
export function discountAppliesAt(discount: Discount | null, at: Instant): discount is Discount {
  if (discount === null) return false;
  return discount.start <= at && (discount.end === null || at < discount.end);
}

/** The discount as it is after an invoice created at `at` took it: a `once` discount ends then. */
export function afterInvoice(discount: Discount, at: Instant): Discount {
  return discount.coupon.duration === "once" ? { ...discount, end: at } : discount;
}

/** The discount still in force at `at` (a subscription's `discount` reads null afterwards). */
export function currentDiscount(discount: Discount | null, at: Instant): Discount | null {
  if (discount === null) return null;
  return discount.end !== null && discount.end <= at ? null : discount;
}

/** A credit for unused time: a negative proration line; it never takes the invoice's discount (13c). */
export function isUnusedTimeCredit(line: DraftLine): boolean {
  return line.type === "proration" && line.amount < 0;
}

/** Rule 13c: every line, or only lines of a listed plan; never a credit for unused time. */
export function isEligible(coupon: Coupon, line: DraftLine): boolean {
  if (isUnusedTimeCredit(line)) return false;
  if (coupon.appliesToPlans === null) return true;
  return line.plan !== null && coupon.appliesToPlans.includes(line.plan);
}

/** round(amount × p / 100), p in hundredths of a percent: round(amount × h / 10 000). */
export function percentOf(amount: number, percentOffHundredths: number): number {
  return roundHalfAwayFromZero(BigInt(amount) * BigInt(percentOffHundredths), 10_000n);
}

/**
 * Rule 13d: each line's discount from the coupon (0 for a line it does not reach), in the
 * lines' order. percent_off: round(amount × p / 100) per eligible line. amount_off A:
 * min(A, Σ eligible non-negative lines), split in proportion to those lines, each share
 * rounded down, the rest to the largest line (the first of equals).
 */
export function lineDiscounts(coupon: Coupon, lines: readonly DraftLine[]): number[] {
  const eligible = lines.map((line) => isEligible(coupon, line));
  if (coupon.percentOffHundredths !== null) {
    const p = coupon.percentOffHundredths;
    return lines.map((line, i) => (eligible[i] ? percentOf(line.amount, p) : 0));
  }
  const base = lines.map((line, i) => (eligible[i] && line.amount >= 0 ? line.amount : 0));
  const sum = sumAmounts(base);
  const total = Math.min(coupon.amountOff ?? 0, sum);
  if (total === 0) return lines.map(() => 0);
  const shares = base.map((amount) => Number((BigInt(total) * BigInt(amount)) / BigInt(sum)));
  let largest = 0;
  base.forEach((amount, i) => {
    if (amount > base[largest]!) largest = i;
  });
  shares[largest] = shares[largest]! + total - sumAmounts(shares);
  return shares;
}

/**
 * Rule 13d: what a credit for unused time carries, −round(D × f): D is the discount the
 * credited period's `subscription` line received and f = numerator / denominator the share
 * of that line's own period left unused, so nobody is credited more than they paid.
 */
export function carriedDiscount(received: LineDiscount | null, numerator: number, denominator: number) {
  if (received === null || received.amount === 0) return null;
  return { coupon: received.coupon, amount: scaleAmount(-received.amount, numerator, denominator) };
}
