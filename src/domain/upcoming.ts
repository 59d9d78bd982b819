import type { Period } from "./billing-period";
import type { Decision, Ledger } from "./decision";
import { DecisionBuilder } from "./decision";
import { upcomingRenewal } from "./lifecycle";
import type { SubscriptionState } from "./subscription";
import { isEnded } from "./subscription";
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

/** What the `invoice_upcoming` job's due time is derived from. */
export interface UpcomingFacts {
  state: Pick<SubscriptionState, "status" | "cancelAtPeriodEnd" | "currentPeriodStart" | "currentPeriodEnd">;
  /** The period end already announced or passed over (`_meta.upcoming_sent_for`), or null. */
  sentFor: Instant | null;
  days: number;
}

/**
 * When the `invoice_upcoming` job is due, or null for none: a pseudo-job derived from the state
 * (no row of `job`; the store's `nextJob` returns it). Nothing for an ended subscription, one
 * canceling at period end, or a period already announced (or passed over: `upcomingPassedOver`).
 */
export function upcomingDueAt(f: UpcomingFacts): Instant | null {
  const { state } = f;
  if (isEnded(state.status) || state.cancelAtPeriodEnd || f.sentFor === state.currentPeriodEnd) return null;
  return upcomingNoticeAt({ start: state.currentPeriodStart, end: state.currentPeriodEnd }, f.days);
}

/**
 * At the end of every transaction: a notice the transaction made due at a time already past
 * (`dueBefore` is the derived due time as the transaction found it) is passed over, never sent
 * late — a `cancel_at_period_end` resumed inside the notice window gets no reminder: it goes
 * ahead of the renewal or not at all. Returns the period end to mark (`upcoming_sent_for`), or
 * null: nothing to write. A notice already due before the transaction (its alarm not run yet)
 * keeps its time.
 */
export function upcomingPassedOver(dueBefore: Instant | null, after: UpcomingFacts, now: Instant): Instant | null {
  const due = upcomingDueAt(after);
  if (due === null || due > now || due === dueBefore) return null;
  return after.state.currentPeriodEnd;
}

/**
 * The `invoice_upcoming` job comes due: the current period is marked announced (never twice),
 * which moves the derived due time past (`upcomingDueAt`: no job row to delete), and `invoice.upcoming` carries the invoice the renewal will make —
 * none when that renewal makes no invoice.
 */
export function decideUpcomingNotice(ledger: Ledger): Decision {
  const b = new DecisionBuilder(ledger);
  b.decision.upcomingSentFor = ledger.state.currentPeriodEnd;
  if (upcomingRenewal(ledger)?.issue[0]) b.emit("invoice.upcoming", { upcoming: true });
  return b.decision;
}
