import type { Cadence } from "./billing-period";
import { roundHalfAwayFromZero } from "./money";
import type { SubscriptionStatus } from "./subscription";

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
