import type { Decision, InvoiceFacts, InvoiceRef, Ledger } from "../../domain/decision";
import type { SubscriptionState } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import type { BillingContext } from "./context";
import type { InvoiceRow, LineRow } from "./store";
import { paymentView } from "./views";

// The one writer of decisions: everything a Decision says, written inside the caller's
// transaction (a BillingContext cannot open one), in a fixed order: state, pending lines,
// new invoices, invoice changes, jobs, then the events (one row for all of them), each
// rendering its object as it stands once everything else is written.

export interface Persisted {
  /** Ids of the invoices the decision issued, in its order. */
  invoiceIds: string[];
  /** The pending lines it added, with their ids. */
  pendingAdded: LineRow[];
}

/** What a decision reads from storage: the state, the pending lines and the open invoices. */
export function loadLedger(ctx: BillingContext): Ledger {
  return {
    state: ctx.store.load()!.state,
    pending: ctx.store.pending(),
    openInvoices: ctx.store.openInvoices().map(invoiceFacts),
  };
}

export function invoiceFacts(row: InvoiceRow): InvoiceFacts {
  return {
    id: row.id,
    status: row.status,
    billingReason: row.billing_reason,
    created: row.created,
    amountDue: row.amount_due,
    amountPaid: row.amount_paid,
    creditApplied: row.credit_applied,
    attemptCount: row.attempt_count,
  };
}

/** Writes one decision, all of it (call inside a transaction). */
export function persist(ctx: BillingContext, decision: Decision, at: Instant): Persisted {
  const { store } = ctx;
  // A decision that leaves the state as it was (a renewal delivered twice, a reminder) writes
  // no state row and no read-model flag: nothing the KV summary shows has changed.
  const stateChanged = !sameState(store.load()!.state, decision.state);
  if (stateChanged) store.saveState(decision.state);
  if (decision.pendingConsumed) store.clearPending();
  const pendingAdded = store.addPending(decision.pendingAdded);
  const invoiceIds = decision.issue.map((invoice) =>
    store.insertInvoice({
      lines: invoice.lines,
      totals: invoice.totals,
      currency: invoice.currency,
      reason: invoice.reason,
      period: invoice.period,
      at,
      draft: invoice.draft === true,
    }),
  );
  const idOf = (ref: InvoiceRef) => ("issued" in ref ? invoiceIds[ref.issued]! : ref.id);
  for (const u of decision.invoiceUpdates) {
    store.updateInvoice(idOf(u.invoice), {
      ...(u.status !== undefined ? { status: u.status } : {}),
      ...(u.amountPaid !== undefined ? { amount_paid: u.amountPaid } : {}),
      ...(u.paidAt !== undefined ? { paid_at: u.paidAt } : {}),
      ...(u.voidedAt !== undefined ? { voided_at: u.voidedAt } : {}),
      ...(u.nextPaymentAttempt !== undefined ? { next_payment_attempt: u.nextPaymentAttempt } : {}),
      ...(u.finalizedAt !== undefined ? { finalized_at: u.finalizedAt } : {}),
      ...(u.creditApplied !== undefined ? { credit_applied: u.creditApplied } : {}),
      ...(u.amountDue !== undefined ? { amount_due: u.amountDue } : {}),
    });
    if (u.finalizedAt !== undefined) store.numberDraft(idOf(u.invoice));
  }
  for (const job of decision.jobs) {
    if (job.op === "cancel_all") store.unscheduleInvoice(idOf(job.invoice));
    else if (job.op === "cancel") store.unschedule(job.kind, job.invoice ? idOf(job.invoice) : "");
    else store.schedule(job.kind, job.dueAt, job.invoice ? idOf(job.invoice) : "");
  }
  const record = store.load()!;
  // All of the decision's events in one row (event-log.ts), in the order the decision lists them.
  store.events.record(
    decision.events.map(({ type, subject, extra }) => ({
      type,
      object:
        "subscription" in subject
          ? ctx.view()
          : "invoice" in subject
            ? ctx.invoiceOf(idOf(subject.invoice), record)
            : paymentView(store.payment(subject.payment)!),
      ...(extra ? { extra } : {}),
    })),
    at,
  );
  if (stateChanged) ctx.markChanged();
  return { invoiceIds, pendingAdded };
}

function sameState(a: SubscriptionState, b: SubscriptionState): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}
