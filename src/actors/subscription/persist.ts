import type { Decision, InvoiceFacts, InvoiceRef, JobChange, Ledger } from "../../domain/decision";
import type { PaymentRecord } from "../../domain/payment-records";
import type { SubscriptionState } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import type { BillingContext } from "./context";
import type { InvoiceRow, LineRow, NewSubscription, PaymentRow, SubscriptionStore } from "./store";
import type { InvoiceReservation } from "./tables/subscription-table";
import { upcomingInvoice } from "./upcoming";
import { paymentView } from "./views";

// The one writer of decisions: everything a Decision says, written inside the caller's
// transaction (a BillingContext cannot open one), in a fixed order: state, pending lines,
// new invoices, payments, invoice changes, jobs, the payment-details copy and the upcoming
// notice's mark, then the events (one row for all of them), each
// rendering its object as it stands once everything else is written.

interface Persisted {
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
    currency: row.currency,
    created: row.created,
    amountDue: row.amount_due,
    amountPaid: row.amount_paid,
    creditApplied: row.credit_applied,
    attemptCount: row.attempt_count,
  };
}

export function paymentRecord(row: PaymentRow): PaymentRecord {
  return {
    id: row.id,
    invoiceId: row.invoice_id,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    method: row.method,
    onRequest: row.on_request === 1,
    attempt: row.attempt,
    gatewayKey: row.gateway_key,
    gatewayReference: row.gateway_reference,
    paymentMethod: row.payment_method,
    gatewayCustomer: row.gateway_customer,
    refundReference: row.refund_reference,
    refundTries: row.refund_tries ?? 0,
    refundFailure:
      row.refund_failure_code === null || row.refund_failure_code === undefined
        ? null
        : { code: row.refund_failure_code, message: row.refund_failure_message ?? "" },
    needsAttention: row.attention_since !== null,
    created: row.created,
  };
}

/** The payments of one invoice, as decisions read them. */
export function paymentRecords(ctx: BillingContext, invoiceId: string): PaymentRecord[] {
  return ctx.store.payments(invoiceId).map(paymentRecord);
}

/**
 * Writes one decision, all of it (call inside a transaction). `reserved`: the ids its new
 * invoices take, when the caller reserved them to decide with (`reserveInvoiceIds`, same transaction).
 */
export function persist(
  ctx: BillingContext,
  decision: Decision,
  at: Instant,
  reserved?: InvoiceReservation | null,
  /** A create: the new subscription's row, written here with the decision's state and reservation. */
  created: NewSubscription | null = null,
): Persisted {
  const { store } = ctx;
  // A decision that leaves the state as it was (a renewal delivered twice, a reminder) writes
  // no state row and no read-model flag: nothing the KV summary shows has changed.
  const stateChanged = created === null && !sameState(store.load()!.state, decision.state);
  // The new invoices' ids and numbers go into the subscription row with the state: one row
  // written for both (a renewal wrote that row twice; a create inserts it with them).
  const reservation =
    reserved !== undefined
      ? reserved
      : store.reserveInvoiceIds(decision.issue.map((invoice) => invoice.draft === true));
  if (created) store.insert({ ...created, state: decision.state }, reservation);
  else if (stateChanged) store.saveState(decision.state, reservation);
  else if (reservation) store.saveReservation(reservation);
  if (decision.pendingConsumed) store.clearPending();
  const pendingAdded = store.addPending(decision.pendingAdded);
  const invoiceIds = decision.issue.map((invoice, k) =>
    store.insertInvoice(
      {
        lines: invoice.lines,
        totals: invoice.totals,
        currency: invoice.currency,
        reason: invoice.reason,
        period: invoice.period,
        at,
        paidAt: invoice.paidAt,
        draft: invoice.draft === true,
        attemptCount: invoice.attemptCount ?? 0,
      },
      reservation!.invoices[k]!,
    ),
  );
  const idOf = (ref: InvoiceRef) => ("issued" in ref ? invoiceIds[ref.issued]! : ref.id);
  writePayments(store, decision, at);
  for (const u of decision.invoiceUpdates) {
    store.updateInvoice(idOf(u.invoice), {
      ...(u.status !== undefined ? { status: u.status } : {}),
      ...(u.amountPaid !== undefined ? { amount_paid: u.amountPaid } : {}),
      ...(u.attemptCount !== undefined ? { attempt_count: u.attemptCount } : {}),
      ...(u.paidAt !== undefined ? { paid_at: u.paidAt } : {}),
      ...(u.voidedAt !== undefined ? { voided_at: u.voidedAt } : {}),
      ...(u.nextPaymentAttempt !== undefined ? { next_payment_attempt: u.nextPaymentAttempt } : {}),
      ...(u.finalizedAt !== undefined ? { finalized_at: u.finalizedAt } : {}),
      ...(u.creditApplied !== undefined ? { credit_applied: u.creditApplied } : {}),
      ...(u.amountDue !== undefined ? { amount_due: u.amountDue } : {}),
    });
    if (u.finalizedAt !== undefined) store.numberDraft(idOf(u.invoice));
  }
  writeJobs(store, decision.jobs, idOf);
  if (decision.paymentDetails) store.setPaymentDetails(decision.paymentDetails);
  if (decision.upcomingSentFor !== undefined) store.setMeta("upcoming_sent_for", decision.upcomingSentFor);
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
            : "payment" in subject
              ? paymentView(store.payment(subject.payment)!)
              : upcomingInvoice(ctx)!,
      ...(extra ? { extra } : {}),
    })),
    at,
  );
  if (stateChanged) ctx.markChanged();
  return { invoiceIds, pendingAdded };
}

/** Schedules and cancels jobs, in order. */
export function writeJobs(
  store: SubscriptionStore,
  jobs: readonly JobChange[],
  idOf: (ref: InvoiceRef) => string = (ref) => ("id" in ref ? ref.id : ""),
): void {
  for (const job of jobs) {
    if (job.op === "cancel") store.unschedule(job.kind, job.invoice ? idOf(job.invoice) : "");
    else store.schedule(job.kind, job.dueAt, job.invoice ? idOf(job.invoice) : "");
  }
}

/**
 * New payment rows, then settlements (each only while still pending), then refunds recorded.
 * A new pending card attempt carries its reconcile (the decision's `reconcile_payment` job for
 * its invoice) in its own row: the job's later write finds it said already and writes nothing.
 */
function writePayments(store: SubscriptionStore, decision: Decision, at: Instant): void {
  for (const p of decision.paymentsAdded) {
    const reconcile = decision.jobs.find(
      (job) =>
        job.op === "schedule" &&
        job.kind === "reconcile_payment" &&
        job.invoice &&
        "id" in job.invoice &&
        job.invoice.id === p.invoiceId,
    );
    store.insertPayment({
      id: p.id,
      invoice_id: p.invoiceId,
      amount: p.amount,
      currency: p.currency,
      status: p.status,
      method: p.method,
      failure_code: null,
      failure_message: null,
      attempt: p.attempt,
      reference: p.reference,
      gateway_key: p.gatewayKey,
      gateway_reference: null,
      created: p.created,
      payment_method: p.paymentMethod,
      gateway_customer: p.gatewayCustomer,
      on_request: p.onRequest ? 1 : 0,
      reconcile_at:
        reconcile?.op === "schedule" && p.status === "pending" && p.method === "card" ? reconcile.dueAt : null,
    });
  }
  for (const s of decision.paymentsSettled) {
    store.settlePayment(s.payment, {
      status: s.status,
      failure_code: s.failureCode,
      failure_message: s.failureMessage,
      gateway_reference: s.gatewayReference,
    });
  }
  for (const r of decision.refundsRecorded) store.recordRefund(r.payment, r.reference);
  for (const id of decision.refundTries) store.countRefundTry(id);
  for (const f of decision.refundsFailed) store.failRefund(f.payment, f.code, f.message);
  for (const id of decision.paymentsFlagged) store.flagForAttention(id, at);
}

function sameState(a: SubscriptionState, b: SubscriptionState): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}
