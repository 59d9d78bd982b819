import type { ListPage } from "../../contract/common";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Invoice, Payment } from "../../contract/invoice";
import type { Subscription } from "../../contract/subscription";
import { envelope } from "../../notifications/outbox";
import type { RequestContext } from "./context";
import { cursorOf } from "./event-log";
import type { UpcomingInvoice } from "./upcoming";
import { upcomingInvoice as upcomingInvoiceOf } from "./upcoming";
import { invoiceView, paymentView, subscriptionView } from "./views";

/** One event as the API lists it. */
interface EventView {
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
  const page = rows
    .slice(0, limit)
    .map((row) => invoiceView(row, ctx.store.lines(row.id), record, ctx.config.publicUrl));
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

/**
 * A page of the subscription's events, oldest first. The cursor is a place in its log (a batch
 * and an index in it, event-log.ts), so a page may end inside a decision's batch.
 */
export function listEvents(
  ctx: RequestContext,
  id: string,
  limit: number,
  cursor: string | null,
): Outcome<ListPage<EventView>> {
  if (!ctx.loadFor(id)) return notFound("subscription", id);
  const after = cursor === null ? 0 : ctx.store.events.positionOfCursor(cursor);
  if (after === null)
    return failure(400, "parameter_invalid", "Invalid cursor: pass a next_cursor from a previous page.", "cursor");
  const found = ctx.store.events.after(after, limit + 1);
  const page = found.slice(0, limit);
  const hasMore = found.length > limit;
  return ok({
    object: "list" as const,
    data: page.map(({ event }) => envelope(event)),
    has_more: hasMore,
    next_cursor: hasMore ? cursorOf(page.at(-1)!.position) : null,
  });
}

/** The next renewal's invoice, from the renewal decision itself (see upcoming.ts); null when there is none. */
export function upcomingInvoice(ctx: RequestContext, id: string): Outcome<UpcomingInvoice | null> {
  if (!ctx.loadFor(id)) return notFound("subscription", id);
  return ok(upcomingInvoiceOf(ctx));
}
