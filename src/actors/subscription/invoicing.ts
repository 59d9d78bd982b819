import type { Invoice, InvoiceLine, Payment } from "../../contract/invoice";
import { statusAfterClosing } from "../../domain/dunning";
import { creditReturnedOnClose } from "../../domain/invoice";
import { isEnded, manualInvoiceRefusal } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import type { Outcome } from "../../errors";
import { failure, notFound, ok } from "../../errors";
import type { Idempotency } from "../actor";
import { creditPayment, endSubscription, issueInvoice, recomputeStatusAfterSettling, recordIssuedInvoiceEvents } from "./billing";
import type { RequestContext } from "./context";
import { settle } from "./jobs";
import type { InvoiceRow } from "./store";
import { lineView, paymentView } from "./views";

/** A one-off line, left pending for the next invoice. */
export async function addInvoiceItem(ctx: RequestContext, id: string, item: { amount: number; description: string }, idem: Idempotency | null) {
  return ctx.once(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    if (isEnded(record.state.status)) return failure(400, "subscription_ended", `the subscription is ${record.state.status}`);
    const now = await ctx.currentTime(record.testClock);
    return ctx.commit(idem, () => {
      const state = ctx.store.load()!.state;
      if (isEnded(state.status)) return failure<InvoiceLine>(400, "subscription_ended", `the subscription is ${state.status}`);
      const [line] = ctx.store.addPending([
        { type: "invoice_item", description: item.description, amount: item.amount, quantity: 1, plan: null, periodStart: now, periodEnd: now },
      ]);
      return ok(lineView(line!), 201);
    });
  });
}

/** Bills every pending line now (billing_reason: manual). */
export async function invoiceNow(ctx: RequestContext, id: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
  return ctx.once(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    const now = await ctx.currentTime(record.testClock);
    let invoiceId = "";
    const committed = ctx.commit(idem, () => {
      const state = ctx.store.load()!.state;
      const refusal = manualInvoiceRefusal(state.status);
      if (refusal) return failure<Invoice>(400, refusal.code, refusal.message);
      if (ctx.store.pending().length === 0) return failure<Invoice>(400, "nothing_to_invoice", "There are no pending lines to invoice.");
      invoiceId = issueInvoice(ctx, state, { reason: "manual", period: { start: now, end: now }, lines: [], includePending: true }, now);
      recordIssuedInvoiceEvents(ctx, invoiceId, now);
      ctx.markChanged();
      return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!), 201);
    });
    if (!committed.ok) return committed;
    await settle(ctx, now);
    return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!), 201);
  });
}

/** A payment made outside the gateway (method: manual); partial payments allowed. */
export async function recordManualPayment(ctx: RequestContext, invoiceId: string, body: { amount: number; reference: string }, idem: Idempotency | null): Promise<Outcome<Payment>> {
  return writeInvoice(ctx, invoiceId, idem, (invoice, now) => {
    if (invoice.status !== "open") return failure<Payment>(400, "invoice_not_open", `The invoice is ${invoice.status}; only an open invoice takes payments.`);
    const remaining = invoice.amount_due - invoice.amount_paid;
    if (body.amount > remaining) {
      return failure<Payment>(400, "amount_too_large", `The payment (${body.amount}) is more than the amount remaining (${remaining}).`, "amount");
    }
    const paymentId = ctx.store.insertPayment({
      invoice_id: invoiceId, amount: body.amount, currency: invoice.currency, status: "succeeded", method: "manual",
      failure_code: null, failure_message: null, attempt: invoice.attempt_count, reference: body.reference,
      gateway_key: null, gateway_reference: null, created: now, payment_method: null, gateway_customer: null,
    });
    creditPayment(ctx, invoiceId, body.amount, now);
    return ok(paymentView(ctx.store.payment(paymentId)!), 201);
  });
}

/**
 * Voids an open invoice or marks it uncollectible, and stops collecting it. Closing the first
 * invoice of an incomplete subscription ends it (`incomplete_expired`).
 */
export async function closeInvoice(ctx: RequestContext, invoiceId: string, to: "void" | "uncollectible", idem: Idempotency | null): Promise<Outcome<Invoice>> {
  return writeInvoice(ctx, invoiceId, idem, (invoice, now) => {
    if (invoice.status !== "open") return failure<Invoice>(400, "invoice_not_open", `The invoice is ${invoice.status}; only an open invoice can be ${to === "void" ? "voided" : "marked uncollectible"}.`);
    ctx.store.updateInvoice(invoiceId, { status: to, next_payment_attempt: null, ...(to === "void" ? { voided_at: now } : {}) });
    ctx.store.unscheduleInvoice(invoiceId);
    const before = ctx.store.load()!.state;
    ctx.store.saveState({ ...before, creditBalance: before.creditBalance + creditReturnedOnClose(to, invoice.credit_applied) });
    const current = ctx.store.load()!;
    ctx.store.recordEvent(to === "void" ? "invoice.voided" : "invoice.marked_uncollectible", ctx.invoiceOf(invoiceId, current), now);
    const status = statusAfterClosing(current.state.status, invoice.billing_reason === "subscription_create", ctx.store.openInvoices().length);
    if (isEnded(status)) endSubscription(ctx, current.state, status, now);
    else recomputeStatusAfterSettling(ctx, current, now);
    return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!));
  });
}

/**
 * One write to an invoice under an idempotency key: 404 for an unknown invoice, "now" read
 * before the transaction, then `write` inside it on the invoice as it is at that moment.
 */
async function writeInvoice<T>(ctx: RequestContext, invoiceId: string, idem: Idempotency | null, write: (invoice: InvoiceRow, now: Instant) => Outcome<T>): Promise<Outcome<T>> {
  return ctx.once(idem, async () => {
    const record = ctx.store.load();
    if (!record || !ctx.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
    const now = await ctx.currentTime(record.testClock);
    const committed = ctx.commit(idem, () => write(ctx.store.invoice(invoiceId)!, now));
    // A payment may have released held renewals (rule 9): their first attempts are due now.
    if (committed.ok) await settle(ctx, now);
    return committed;
  });
}
