import type { Outcome } from "../../contract/errors";
import { notFound, ok } from "../../contract/errors";
import type { Invoice, Payment } from "../../contract/invoice";
import type { RequestContext } from "./context";
import { newPageToken } from "./tables/invoice-table";
import { paymentView } from "./views";

// The customer's page of one invoice (API §11): opened by its page token alone, no API key.
// A wrong token answers exactly as an unknown invoice does, so a guess learns nothing.

/** What the hosted page and the PDF show: the invoice as the API shows it, and its payments. */
export interface HostedInvoice {
  invoice: Invoice;
  payments: Payment[];
  /** The plan's name, for the page's heading. */
  planName: string;
}

/** The invoice if `token` is its current page token (compared in constant time), else 404. */
export function hostedInvoice(ctx: RequestContext, invoiceId: string, token: string): Outcome<HostedInvoice> {
  const record = ctx.store.load();
  const row = record ? ctx.store.invoice(invoiceId) : undefined;
  if (!record || !row?.page_token || !sameToken(row.page_token, token)) return notFound("invoice", invoiceId);
  return ok({
    invoice: ctx.invoiceOf(invoiceId, record),
    payments: ctx.store.payments(invoiceId).map(paymentView),
    planName: record.state.plan.name,
  });
}

/** Whether `token` opens this invoice's page (for a payment made from it). */
export function opensInvoice(ctx: RequestContext, invoiceId: string, token: string): boolean {
  const row = ctx.store.load() ? ctx.store.invoice(invoiceId) : undefined;
  return Boolean(row?.page_token && sameToken(row.page_token, token));
}

/** A new page token: the old links (page and PDF) stop working at once. Not on a draft. */
export function revokePageLinks(ctx: RequestContext, invoiceId: string): Outcome<Invoice> {
  const record = ctx.store.load();
  const row = record ? ctx.store.invoice(invoiceId) : undefined;
  if (!record || !row) return notFound("invoice", invoiceId);
  if (row.page_token !== null)
    ctx.transaction(() => ctx.store.updateInvoice(invoiceId, { page_token: newPageToken() }));
  return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!));
}

function sameToken(expected: string, given: string): boolean {
  const a = new TextEncoder().encode(expected);
  const b = new TextEncoder().encode(given);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}
