import { OpenAPIHono } from "@hono/zod-openapi";
import { invoiceStub } from "../../actors/stubs";
import type { ListPage } from "../../contract/common";
import { IdParam, idCursor, listOf, listQuery } from "../../contract/common";
import { EmptyBody, Invoice, ManualPaymentCreate, Payment } from "../../contract/invoice";
import { ApiError } from "../../lib/errors";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, orNotFound, send } from "../endpoint";

const stubFor = (c: { env: AppEnv["Bindings"] }, id: string) => orNotFound(invoiceStub(c.env, id), "invoice", id);

export function invoiceRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "get",
      path: "/v1/invoices/:id",
      operationId: "getInvoice",
      summary: "Retrieve an invoice",
      tag: "Invoices",
      params: IdParam,
      response: Invoice,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).invoice(params.id)),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/invoices/:id/payments",
      operationId: "listInvoicePayments",
      summary: "List an invoice's payment attempts, oldest first",
      tag: "Invoices",
      params: IdParam,
      query: listQuery(idCursor("pay")),
      response: listOf(Payment, "PaymentList"),
    },
    async (c, { params, query }) => {
      const all = await stubFor(c, params.id).payments(params.id);
      if (!all.ok) return send(c, all);
      return c.json(pageAfter(all.value.data, query.limit, query.cursor));
    },
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/invoices/:id/pay",
      operationId: "payInvoice",
      summary: "Attempt payment now with the customer's payment method",
      tag: "Invoices",
      params: IdParam,
      body: EmptyBody,
      response: Invoice,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).pay(params.id, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/invoices/:id/payments",
      operationId: "createManualPayment",
      summary: "Record a payment made outside the gateway (partial allowed)",
      tag: "Invoices",
      params: IdParam,
      body: ManualPaymentCreate,
      response: Payment,
      status: 201,
    },
    async (c, { params, body }) =>
      send(c, await stubFor(c, params.id).recordManualPayment(params.id, body, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/invoices/:id/finalize",
      operationId: "finalizeInvoice",
      summary: "Finalize a draft invoice",
      description:
        "The draft becomes open, takes the next number of its subscription's sequence, and payment is attempted. 400 for any other status.",
      tag: "Invoices",
      params: IdParam,
      body: EmptyBody,
      response: Invoice,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).finalizeInvoice(params.id, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/invoices/:id/rotate_links",
      operationId: "rotateInvoiceLinks",
      summary: "Replace the invoice's page and PDF links",
      description:
        "A new secret for `hosted_invoice_url` and `invoice_pdf`: the old links stop working at once (for a link that was forwarded or leaked). A draft has no links and is returned as it is.",
      tag: "Invoices",
      params: IdParam,
      body: EmptyBody,
      response: Invoice,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).revokePageLinks(params.id)),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/invoices/:id/void",
      operationId: "voidInvoice",
      summary: "Void an open or draft invoice; stops its retries",
      tag: "Invoices",
      params: IdParam,
      body: EmptyBody,
      response: Invoice,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).voidInvoice(params.id, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/invoices/:id/mark_uncollectible",
      operationId: "markInvoiceUncollectible",
      summary: "Mark an open invoice uncollectible; stops its retries",
      tag: "Invoices",
      params: IdParam,
      body: EmptyBody,
      response: Invoice,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).markUncollectible(params.id, await idempotencyOf(c))),
  );
  return app;
}

/**
 * One page of a short list held whole (an invoice has a handful of attempts), oldest first:
 * the items after the cursor's id. A cursor that is not in the list was not issued by it.
 */
function pageAfter<T extends { id: string }>(items: T[], limit: number, cursor: string | undefined): ListPage<T> {
  let start = 0;
  if (cursor !== undefined) {
    const at = items.findIndex((item) => item.id === cursor);
    if (at < 0)
      throw new ApiError(
        400,
        "parameter_invalid",
        "Invalid cursor: pass a next_cursor from a previous page of this list.",
        "cursor",
      );
    start = at + 1;
  }
  const data = items.slice(start, start + limit);
  const hasMore = start + limit < items.length;
  return { object: "list", data, has_more: hasMore, next_cursor: hasMore ? data.at(-1)!.id : null };
}
