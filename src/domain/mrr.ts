import type { Cadence } from "./billing-period";
import { discountAppliesAt, lineDiscounts } from "./discount";
import { roundHalfAwayFromZero } from "./money";
import { subscriptionLine } from "./proration";
import type { SubscriptionState, SubscriptionStatus } from "./subscription";
import { pricedItem } from "./subscription";

/** docs/billing-rules.md, Endpoints: only these statuses count toward MRR. */
const MRR_STATUSES: readonly SubscriptionStatus[] = ["active", "past_due"];

/**
 * One subscription's monthly recurring revenue, in minor units (docs/billing-rules.md, Endpoints):
 * NOTE: amount × quantity × f, with f = 1 / n (month), 1 / (12 n) (year),
 * 52 / (12 n) (week), 365 / (12 n) (day), n = interval_count; rounded once, per
 * subscription, halves away from zero. 0 unless the status counts.
 */
export function monthlyRecurringRevenue(
  status: SubscriptionStatus,
  amount: number,
  quantity: number,
  cadence: Cadence,
): number {
  if (!MRR_STATUSES.includes(status)) return 0;
  const n = BigInt(cadence.intervalCount);
  const [numerator, denominator] =
    cadence.interval === "month"
      ? [1n, n]
      : cadence.interval === "year"
        ? [1n, 12n * n]
        : cadence.interval === "week"
          ? [52n, 12n * n]
          : [365n, 12n * n];
  return roundHalfAwayFromZero(BigInt(amount) * BigInt(quantity) * numerator, denominator);
}

/**
 * What one period bills before tax, for MRR: amount × quantity less a recurring discount that
 * the next renewal invoice will take. NOTE: `forever`, and `repeating` while its end is after
 * the current period's end, lower MRR; a `once` discount never does (as Stripe: a one-time
 * discount is not recurring revenue lost). Tax is never revenue.
 */
export function recurringAmount(state: SubscriptionState): number {
  const gross = state.plan.amount * state.quantity;
  const discount = state.discount;
  if (discount === null || discount.coupon.duration === "once") return gross;
  if (!discountAppliesAt(discount, state.currentPeriodEnd)) return gross;
  const line = subscriptionLine(pricedItem(state.plan, state.quantity), {
    start: state.currentPeriodStart,
    end: state.currentPeriodEnd,
  });
  return gross - (lineDiscounts(discount.coupon, [line])[0] ?? 0);
}
