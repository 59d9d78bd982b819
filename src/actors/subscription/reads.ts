import type { ListPage } from "../../contract/common";
import type { Invoice, Payment } from "../../contract/invoice";
import type { Subscription } from "../../contract/subscription";
import { toIso } from "../../domain/time";
import type { Outcome } from "../../errors";
import { failure, notFound, ok } from "../../errors";
import type { RequestContext } from "./context";
import type { UpcomingInvoice } from "./upcoming";
import { upcomingInvoice as upcomingInvoiceOf } from "./upcoming";
import { invoiceView, paymentView, subscriptionView } from "./views";

/** One event as the API lists it. */
export interface EventView {
  id: string;
  object: "event";
  type: string;
  created: string;
  data: { object: Record<string, unknown> };
}

/** The subscription, if this actor holds `id`. */
export function getSubscription(ctx: RequestContext, id: string): Outcome<Subscription> {
  const record = ctx.loadFor(id);
  return record ? ok(subscriptionView(record)) : notFound("subscription", id);
}

/** A page of the subscription's invoices, newest first; `before` is an invoice id cursor. */
export function listInvoices(
  ctx: RequestContext,
  id: string,
  limit: number,
  before: string | null,
): Outcome<ListPage<Invoice>> {
  const record = ctx.loadFor(id);
  if (!record) return notFound("subscription", id);
  const rows = ctx.store.invoices(limit + 1, before);
  const page = rows.slice(0, limit).map((row) => invoiceView(row, ctx.store.lines(row.id), record));
  return ok({
    object: "list",
    data: page,
    has_more: rows.length > limit,
    next_cursor: rows.length > limit ? page.at(-1)!.id : null,
  });
}

/** One of the subscription's invoices, with its lines. */
export function getInvoice(ctx: RequestContext, invoiceId: string): Outcome<Invoice> {
  const record = ctx.store.load();
  if (!record || !ctx.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
  return ok(ctx.invoiceOf(invoiceId, record));
}

/** Every payment of an invoice, oldest first, in one page. */
export function listPayments(ctx: RequestContext, invoiceId: string): Outcome<ListPage<Payment>> {
  if (!ctx.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
  const data = ctx.store.payments(invoiceId).map(paymentView);
  return ok({ object: "list", data, has_more: false, next_cursor: null });
}

/** A page of the subscription's events, oldest first; the cursor is an event's sequence number. */
export function listEvents(
  ctx: RequestContext,
  id: string,
  limit: number,
  cursor: string | null,
): Outcome<ListPage<EventView>> {
  if (!ctx.loadFor(id)) return notFound("subscription", id);
  const after = cursor ? Number(cursor) : 0;
  if (!Number.isInteger(after) || after < 0) return failure(400, "parameter_invalid", "Invalid cursor.", "cursor");
  const rows = ctx.store.events(limit + 1, after);
  const data = rows.slice(0, limit).map((e) => ({
    id: e.id,
    object: "event" as const,
    type: e.type,
    created: toIso(e.created),
    data: JSON.parse(e.data) as { object: Record<string, unknown> },
  }));
  const hasMore = rows.length > limit;
  return ok({
    object: "list" as const,
    data,
    has_more: hasMore,
    next_cursor: hasMore ? String(rows[limit - 1]!.seq) : null,
  });
}

/** The next renewal's invoice, from the renewal decision itself (see upcoming.ts); null when there is none. */
export function upcomingInvoice(ctx: RequestContext, id: string): Outcome<UpcomingInvoice | null> {
  if (!ctx.loadFor(id)) return notFound("subscription", id);
  return ok(upcomingInvoiceOf(ctx));
}
