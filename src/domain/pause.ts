import type { Decided, Decision, Ledger } from "./decision";
import { DecisionBuilder, refuse } from "./decision";
import { shouldAttemptAutomatically } from "./dunning";
import type { BillingReason, InvoiceStatus } from "./invoice";
import { creditAtFinalization } from "./invoice";
import type { PauseCollection } from "./subscription";
import { isEnded } from "./subscription";
import type { Instant } from "./time";

// Rule 15, pausing collection: the pause itself, its end (on request or at `resumes_at`), and
// the finalization of a draft it left. What happens to an invoice made during the pause is
// decided where every invoice is issued (DecisionBuilder.issueInvoice).

/**
 * Pauses (or re-pauses with other terms) collecting payment. Not once ended, and not while
 * `incomplete` (its first invoice decides whether it exists at all). `resumes_at` must be in
 * the future; the `resume_collection` job ends the pause then.
 */
export function decidePause(ledger: Ledger, pause: PauseCollection, now: Instant): Decided {
  const { status } = ledger.state;
  if (isEnded(status)) return refuse("subscription_ended", `The subscription is ${status}; it cannot be paused.`);
  if (status === "incomplete")
    return refuse("invalid_status", "An incomplete subscription cannot be paused until its first invoice is paid.");
  if (pause.resumesAt !== null && pause.resumesAt <= now)
    return refuse("parameter_invalid", "resumes_at must be in the future", "resumes_at");
  const b = new DecisionBuilder(ledger);
  b.state = { ...b.state, pauseCollection: { behavior: pause.behavior, resumesAt: pause.resumesAt } };
  if (pause.resumesAt === null) b.cancel("resume_collection");
  else b.schedule("resume_collection", pause.resumesAt);
  b.emitSubscription("subscription.updated");
  return { ok: true, decision: b.decision };
}

/**
 * DELETE …/pause_collection: collection resumes now. Drafts made during the pause stay drafts.
 * A subscription that is not paused is left as it is (no event): resuming twice is harmless.
 */
export function decideResumeCollection(ledger: Ledger): Decision {
  const b = new DecisionBuilder(ledger);
  if (ledger.state.pauseCollection === null) return b.decision;
  b.state = { ...b.state, pauseCollection: null };
  b.cancel("resume_collection");
  b.emitSubscription("subscription.updated");
  return b.decision;
}

/**
 * The `resume_collection` job at `at`: ends the pause if it is still the one that was due then
 * (a later re-pause moved or removed the time; alarms are at-least-once).
 */
export function decidePauseEnds(ledger: Ledger, at: Instant): Decision {
  const pause = ledger.state.pauseCollection;
  if (pause === null || pause.resumesAt === null || pause.resumesAt > at) {
    const b = new DecisionBuilder(ledger);
    b.cancel("resume_collection");
    return b.decision;
  }
  return decideResumeCollection(ledger);
}

/** What finalizing reads of a draft. */
export interface DraftFacts {
  id: string;
  status: InvoiceStatus;
  billingReason: BillingReason;
  total: number;
}

/**
 * POST /v1/invoices/{id}/finalize: a draft becomes `open` with the next number of the
 * subscription's sequence and the credit held now (rule 8), and its first attempt is
 * scheduled now as for an invoice issued at this moment (rules 2, 9). Only a draft.
 */
export function decideFinalizeDraft(ledger: Ledger, draft: DraftFacts, at: Instant): Decided {
  if (draft.status !== "draft")
    return refuse("invoice_not_draft", `The invoice is ${draft.status}; only a draft invoice can be finalized.`);
  const b = new DecisionBuilder(ledger);
  const credit = creditAtFinalization(draft.total, b.state.creditBalance);
  b.state = { ...b.state, creditBalance: credit.creditBalanceAfter };
  const ref = { id: draft.id };
  b.updateInvoice({
    invoice: ref,
    status: credit.status,
    finalizedAt: at,
    creditApplied: credit.creditApplied,
    amountDue: credit.amountDue,
    ...(credit.status === "paid" ? { paidAt: at } : {}),
  });
  b.emit("invoice.finalized", { invoice: ref });
  if (credit.status === "paid") b.emit("invoice.paid", { invoice: ref });
  else if (shouldAttemptAutomatically(b.state.status, { billingReason: draft.billingReason, attemptCount: 0 }))
    b.schedule("retry_payment", at, ref);
  return { ok: true, decision: b.decision };
}
