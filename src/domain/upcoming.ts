import type { Period } from "./billing-period";
import type { Decision, JobChange, Ledger } from "./decision";
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

/** What the `invoice_upcoming` job is kept in step with. */
interface UpcomingFacts {
  state: Pick<SubscriptionState, "status" | "cancelAtPeriodEnd" | "currentPeriodStart" | "currentPeriodEnd">;
  /** The period end already announced (`_meta.upcoming_sent_for`), or null. */
  sentFor: Instant | null;
  /** When the job is due now, or null for none. */
  currentDueAt: Instant | null;
  days: number;
  now: Instant;
}

/**
 * The `invoice_upcoming` job for the current period, or none: nothing for an ended
 * subscription, one canceling at period end, or a period already announced. A notice whose
 * time has already passed when the job would be written (a `cancel_at_period_end` resumed
 * inside the notice window) is not scheduled: the reminder goes ahead of the renewal or not at
 * all. Returns the change to make (null: leave the job as it is).
 */
export function upcomingJobChange(f: UpcomingFacts): JobChange | null {
  const { state } = f;
  const due =
    isEnded(state.status) || state.cancelAtPeriodEnd || f.sentFor === state.currentPeriodEnd
      ? null
      : upcomingNoticeAt({ start: state.currentPeriodStart, end: state.currentPeriodEnd }, f.days);
  const cancel: JobChange = { op: "cancel", kind: "invoice_upcoming", invoice: null };
  if (due === null) return f.currentDueAt !== null ? cancel : null;
  if (f.currentDueAt === due) return null;
  if (due > f.now) return { op: "schedule", kind: "invoice_upcoming", dueAt: due, invoice: null };
  return f.currentDueAt !== null ? cancel : null;
}

/**
 * The `invoice_upcoming` job comes due: the job is done, the current period is marked
 * announced (never twice), and `invoice.upcoming` carries the invoice the renewal will make —
 * none when that renewal makes no invoice.
 */
export function decideUpcomingNotice(ledger: Ledger): Decision {
  const b = new DecisionBuilder(ledger);
  b.cancel("invoice_upcoming");
  b.decision.upcomingSentFor = ledger.state.currentPeriodEnd;
  if (upcomingRenewal(ledger)?.issue[0]) b.emit("invoice.upcoming", { upcoming: true });
  return b.decision;
}
