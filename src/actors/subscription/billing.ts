import { shouldAttemptAutomatically, statusAfterPayment } from "../../domain/dunning";
import { finalizeTotals } from "../../domain/invoice";
import type { DraftLine } from "../../domain/proration";
import type { Decision, InvoiceDraft, SubscriptionState } from "../../domain/subscription";
import { heldRenewals, isEnded } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import type { BillingContext } from "./context";
import type { SubscriptionRecord } from "./store";

// The writes that requests, payments and jobs share. Each runs inside its caller's
// transaction and never opens one (a BillingContext has no `transaction`).

/**
 * Persists a decision (inside the caller's transaction): the new state, its invoice with
 * every pending line, new pending lines, the renewal job, and the events in causal order
 * (the subscription's own event first, then its invoice's: API.md §6).
 */
export function apply(ctx: BillingContext, decision: Decision, at: Instant, eventType: string): void {
  if (!decision.ok) return;
  if (decision.held) {
    ctx.store.unschedule("renew");
    return;
  }
  const { state } = decision;
  ctx.store.saveState(state);
  ctx.store.addPending(decision.pending);
  // Ended first, so that a final invoice's one attempt (rule 12) is not unscheduled with the rest.
  if (isEnded(state.status)) endSubscription(ctx, state, state.status, at);
  else ctx.store.schedule("renew", state.currentPeriodEnd);
  const dropped = decision.dropped ?? [];
  if (dropped.length > 0) ctx.store.clearPending();
  const invoiceId = decision.invoice ? issueInvoice(ctx, ctx.store.load()!.state, decision.invoice, at) : null;
  ctx.store.recordEvent(eventType, ctx.view(), at, dropped.length > 0 ? { pending_lines_dropped: dropped.map(droppedLineView) } : {});
  if (invoiceId) recordIssuedInvoiceEvents(ctx, invoiceId, at);
  ctx.markChanged();
}

/** Rule 12: what a subscription.canceled event shows of the pending lines it dropped. */
function droppedLineView(line: DraftLine) {
  return { type: line.type, description: line.description, amount: line.amount, quantity: line.quantity, plan: line.plan, period_start: toIso(line.periodStart), period_end: toIso(line.periodEnd) };
}

/**
 * Rules 2 and 8: the draft's lines plus every pending line, credit applied, finalized, and
 * its first payment attempt scheduled. Its events are recorded by `recordIssuedInvoiceEvents`,
 * after the event of the change that caused it.
 */
export function issueInvoice(ctx: BillingContext, state: SubscriptionState, draft: InvoiceDraft, at: Instant): string {
  const current = ctx.store.load()!.state;
  const lines = [...draft.lines, ...ctx.store.pending()];
  ctx.store.clearPending();
  const totals = finalizeTotals(lines, current.creditBalance);
  ctx.store.saveState({ ...state, creditBalance: totals.creditBalanceAfter });
  const invoiceId = ctx.store.insertInvoice({ lines, totals, currency: state.plan.currency, reason: draft.reason, period: draft.period, at });
  if (totals.status === "open" && shouldAttemptAutomatically(state.status, { billingReason: draft.reason, attemptCount: 0 })) {
    ctx.store.schedule("retry_payment", at, invoiceId);
  }
  return invoiceId;
}

/** invoice.created < invoice.finalized (< invoice.paid when nothing was due). */
export function recordIssuedInvoiceEvents(ctx: BillingContext, invoiceId: string, at: Instant): void {
  const record = ctx.store.load()!;
  const invoice = ctx.invoiceOf(invoiceId, record);
  ctx.store.recordEvent("invoice.created", invoice, at);
  ctx.store.recordEvent("invoice.finalized", invoice, at);
  if (invoice.status === "paid") ctx.store.recordEvent("invoice.paid", invoice, at);
}

/** An ended subscription has no renewal or retries left; its open invoices stay open. */
export function endSubscription(ctx: BillingContext, state: SubscriptionState, status: SubscriptionState["status"], at: Instant): void {
  ctx.store.saveState({ ...state, status, endedAt: state.endedAt ?? at, canceledAt: status === "canceled" ? (state.canceledAt ?? at) : state.canceledAt });
  ctx.store.unschedule("renew");
  ctx.store.unschedule("trial_will_end");
  for (const invoice of ctx.store.openInvoices()) {
    ctx.store.unschedule("retry_payment", invoice.id);
    ctx.store.unschedule("expire_incomplete", invoice.id);
    ctx.store.updateInvoice(invoice.id, { next_payment_attempt: null });
  }
  ctx.markChanged();
}

/** After an invoice is paid or closed: the status its remaining open invoices call for. */
export function recomputeStatusAfterSettling(ctx: BillingContext, record: SubscriptionRecord, at: Instant): void {
  const status = statusAfterPayment(record.state.status, ctx.store.openInvoices().length);
  if (status !== record.state.status) {
    ctx.store.saveState({ ...record.state, status });
    ctx.store.recordEvent("subscription.updated", ctx.view(), at);
    // Rule 9: the renewals held while incomplete are made now, in order.
    for (const renewal of heldRenewals(ctx.store.load()!.state, at)) apply(ctx, renewal, at, "subscription.updated");
  }
  ctx.markChanged();
}

/** Adds a successful payment to its invoice; a fully paid invoice stops its retries. */
export function creditPayment(ctx: BillingContext, invoiceId: string, amount: number, at: Instant): void {
  const invoice = ctx.store.invoice(invoiceId)!;
  const paid = invoice.amount_paid + amount;
  const settled = paid >= invoice.amount_due;
  ctx.store.updateInvoice(invoiceId, settled ? { amount_paid: paid, status: "paid", paid_at: at, next_payment_attempt: null } : { amount_paid: paid });
  if (!settled) return;
  ctx.store.unscheduleInvoice(invoiceId);
  const record = ctx.store.load()!;
  ctx.store.recordEvent("invoice.paid", ctx.invoiceOf(invoiceId, record), at);
  recomputeStatusAfterSettling(ctx, record, at);
}
