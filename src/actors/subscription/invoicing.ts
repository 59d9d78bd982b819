import { ulid } from "ulid";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok, refused } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Invoice, InvoiceLine, Payment } from "../../contract/invoice";
import { closeRefusal, decideCloseInvoice, decideManualPayment } from "../../domain/collection";
import { decideInvoiceItem, decideInvoiceNow } from "../../domain/lifecycle";
import { isEnded } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import type { RequestContext } from "./context";
import { runJobsDue, timeAfterDueJobs } from "./jobs";
import { invoiceFacts, loadLedger, persist } from "./persist";
import type { InvoiceRow } from "./store";
import { lineView, paymentView } from "./views";

/** A one-off line, left pending for the next invoice. */
export async function addInvoiceItem(
  ctx: RequestContext,
  id: string,
  item: { amount: number; description: string },
  idem: Idempotency | null,
) {
  return ctx.idempotent(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    if (isEnded(record.state.status))
      return failure(400, "subscription_ended", `the subscription is ${record.state.status}`);
    const now = await timeAfterDueJobs(ctx, record.testClock);
    return ctx.commit(idem, () => {
      const decided = decideInvoiceItem(loadLedger(ctx), item, now);
      if (!decided.ok) return refused<InvoiceLine>(decided.error);
      const [line] = persist(ctx, decided.decision, now).pendingAdded;
      return ok(lineView(line!), 201);
    });
  });
}

/** Bills every pending line now (billing_reason: manual). */
export async function invoiceNow(ctx: RequestContext, id: string, idem: Idempotency | null): Promise<Outcome<Invoice>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    const now = await timeAfterDueJobs(ctx, record.testClock);
    let invoiceId = "";
    const committed = ctx.commit(idem, () => {
      const decided = decideInvoiceNow(loadLedger(ctx), now);
      if (!decided.ok) return refused<Invoice>(decided.error);
      invoiceId = persist(ctx, decided.decision, now).invoiceIds[0]!;
      return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!), 201);
    });
    if (!committed.ok) return committed;
    await runJobsDue(ctx, now);
    return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!), 201);
  });
}

/** A payment made outside the gateway (method: manual): `decideManualPayment`. */
export async function recordManualPayment(
  ctx: RequestContext,
  invoiceId: string,
  body: { amount: number; reference: string },
  idem: Idempotency | null,
): Promise<Outcome<Payment>> {
  return writeInvoice(ctx, invoiceId, idem, (invoice, now) => {
    const paymentId = `pay_${ulid()}`;
    const decided = decideManualPayment(
      loadLedger(ctx),
      invoiceFacts(invoice),
      paymentFacts(ctx, invoiceId),
      { id: paymentId, amount: body.amount, reference: body.reference },
      now,
    );
    if (!decided.ok) return refused<Payment>(decided.error);
    persist(ctx, decided.decision, now);
    return ok(paymentView(ctx.store.payment(paymentId, invoiceId)!), 201);
  });
}

/**
 * Voids an open invoice or marks it uncollectible, and stops collecting it. Closing the first
 * invoice of an incomplete subscription ends it (`incomplete_expired`).
 */
export async function closeInvoice(
  ctx: RequestContext,
  invoiceId: string,
  to: "void" | "uncollectible",
  idem: Idempotency | null,
): Promise<Outcome<Invoice>> {
  return writeInvoice(ctx, invoiceId, idem, (invoice, now) => {
    const pending = closeRefusal(invoiceFacts(invoice), paymentFacts(ctx, invoiceId), to);
    if (pending) return refused<Invoice>(pending);
    const decided = decideCloseInvoice(loadLedger(ctx), invoiceFacts(invoice), to, now);
    if (!decided.ok) return refused<Invoice>(decided.error);
    persist(ctx, decided.decision, now);
    return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!));
  });
}

/**
 * One write to an invoice under an idempotency key: 404 for an unknown invoice, "now" read
 * before the transaction, then `write` inside it on the invoice as it is at that moment.
 * A payment may release renewals held while incomplete (rule 9): their attempts run after.
 */
async function writeInvoice<T>(
  ctx: RequestContext,
  invoiceId: string,
  idem: Idempotency | null,
  write: (invoice: InvoiceRow, now: Instant) => Outcome<T>,
): Promise<Outcome<T>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.store.load();
    if (!record || !ctx.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
    const now = await timeAfterDueJobs(ctx, record.testClock);
    const committed = ctx.commit(idem, () => write(ctx.store.invoice(invoiceId)!, now));
    if (committed.ok) await runJobsDue(ctx, now);
    return committed;
  });
}

function paymentFacts(ctx: RequestContext, invoiceId: string) {
  return ctx.store.payments(invoiceId).map((p) => ({
    status: p.status,
    method: p.method,
    onRequest: p.on_request === 1,
    needsAttention: p.attention_since !== null,
  }));
}
