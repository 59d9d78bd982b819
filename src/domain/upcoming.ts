import type { Period } from "./billing-period";
import type { Instant } from "./time";
import { SECONDS_PER_DAY } from "./time";

/**
 * docs/billing-rules.md, Events: `invoice.upcoming` goes `days` before each renewal, only for periods longer than
 * twice that (a 7-day notice on a weekly plan would arrive before the last renewal's receipt).
 * Returns when, for the period that ends at the next renewal, or null for none.
 */
export function upcomingNoticeAt(period: Period, days: number): Instant | null {
  if (days <= 0) return null;
  const notice = days * SECONDS_PER_DAY;
  // NOTE: strictly longer: a 14-day period with a 7-day notice gets none.
  if (period.end - period.start <= 2 * notice) return null;
  return period.end - notice;
}
