import { OpenAPIHono } from "@hono/zod-openapi";
import { invoiceStub } from "../../actors/stubs";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, require, send } from "../endpoint";
import { IdParam, listOf } from "../../contract/common";
import { EmptyBody, Invoice, ManualPaymentCreate, Payment } from "../../contract/invoice";

const stubFor = (c: { env: AppEnv["Bindings"] }, id: string) => require(invoiceStub(c.env, id), "invoice", id);

export function invoiceRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    { method: "get", path: "/v1/invoices/:id", summary: "Retrieve an invoice", tag: "Invoices", params: IdParam, response: Invoice },
    async (c, { params }) => send(c, await stubFor(c, params.id).invoice(params.id)),
  );

  endpoint(
    app,
    { method: "get", path: "/v1/invoices/:id/payments", summary: "List an invoice's payment attempts, oldest first", tag: "Invoices", params: IdParam, response: listOf(Payment, "PaymentList") },
    async (c, { params }) => send(c, await stubFor(c, params.id).payments(params.id)),
  );

  endpoint(
    app,
    { method: "post", path: "/v1/invoices/:id/pay", summary: "Attempt payment now with the customer's payment method", tag: "Invoices", params: IdParam, body: EmptyBody, response: Invoice },
    async (c, { params }) => send(c, await stubFor(c, params.id).pay(params.id, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/invoices/:id/payments",
      summary: "Record a payment made outside the gateway (partial allowed)",
      tag: "Invoices",
      params: IdParam,
      body: ManualPaymentCreate,
      response: Payment,
      status: 201,
    },
    async (c, { params, body }) => send(c, await stubFor(c, params.id).recordManualPayment(params.id, body, await idempotencyOf(c))),
  );

  endpoint(
    app,
    { method: "post", path: "/v1/invoices/:id/void", summary: "Void an open invoice; stops its retries", tag: "Invoices", params: IdParam, body: EmptyBody, response: Invoice },
    async (c, { params }) => send(c, await stubFor(c, params.id).voidInvoice(params.id, await idempotencyOf(c))),
  );

  endpoint(
    app,
    { method: "post", path: "/v1/invoices/:id/mark_uncollectible", summary: "Mark an open invoice uncollectible; stops its retries", tag: "Invoices", params: IdParam, body: EmptyBody, response: Invoice },
    async (c, { params }) => send(c, await stubFor(c, params.id).markUncollectible(params.id, await idempotencyOf(c))),
  );
  return app;
}
