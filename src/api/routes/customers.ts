import { OpenAPIHono, z } from "@hono/zod-openapi";
import { loadConfig } from "../../actors/config";
import type { Env } from "../../actors/env";
import { modeOf } from "../../actors/env";
import { customerStub } from "../../actors/stubs";
import { listCustomers } from "../../admin/customer-index";
import { CustomerListQuery } from "../../contract/admin";
import { IdParam, idCursor, listOf, listQuery } from "../../contract/common";
import { Customer, CustomerCreate, CustomerUpdate } from "../../contract/customer";
import { Invoice } from "../../contract/invoice";
import { Event, Subscription } from "../../contract/subscription";
import { ApiError, unwrap } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { AppEnv } from "../context";
import { listCustomerInvoices, listCustomerSubscriptions } from "../customer-reads";
import { endpoint, idempotencyOf, orNotFound, send } from "../endpoint";

export function customerRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // The listing reads the KV index each customer's actor keeps (src/admin/customer-index.ts);
  // like every non-admin route it takes either key.
  endpoint(
    app,
    {
      method: "get",
      path: "/v1/customers",
      operationId: "listCustomers",
      summary: "List customers, newest first",
      description:
        "From the KV read model kept by each customer's actor: eventually consistent. `email` matches exactly.",
      tag: "Customers",
      query: CustomerListQuery,
      response: listOf(Customer, "CustomerList"),
    },
    async (c, { query }) => c.json(await listCustomers(c.env.BILLIFY_KV, query)),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/customers",
      operationId: "createCustomer",
      summary: "Create a customer",
      tag: "Customers",
      body: CustomerCreate,
      response: Customer,
      status: 201,
    },
    async (c, { body }) => {
      if (body.test_clock && modeOf(c.env) !== "test") {
        throw new ApiError(400, "test_clocks_unavailable", "Test clocks exist only in test mode.", "test_clock");
      }
      await requireKnownPaymentMethod(c.env, body.payment_method);
      const idem = await idempotencyOf(c);
      const nowMs = Date.now();
      const id = await newId("cus", nowMs, "POST /v1/customers", idem?.key);
      const stub = orNotFound(customerStub(c.env, id), "customer", id);
      return send(c, await stub.create(id, body, nowMs, idem));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/customers/:id",
      operationId: "getCustomer",
      summary: "Retrieve a customer",
      tag: "Customers",
      params: IdParam,
      response: Customer,
    },
    async (c, { params }) =>
      send(c, await orNotFound(customerStub(c.env, params.id), "customer", params.id).get(params.id)),
  );

  endpoint(
    app,
    {
      method: "patch",
      path: "/v1/customers/:id",
      operationId: "updateCustomer",
      summary: "Update a customer",
      description:
        "Setting payment_method retries, at once, the open invoices of this customer's past_due, unpaid or incomplete subscriptions.",
      tag: "Customers",
      params: IdParam,
      body: CustomerUpdate,
      response: Customer,
    },
    async (c, { params, body }) => {
      await requireKnownPaymentMethod(c.env, body.payment_method);
      return send(
        c,
        await orNotFound(customerStub(c.env, params.id), "customer", params.id).update(params.id, body, null),
      );
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/customers/:id/subscriptions",
      operationId: "listCustomerSubscriptions",
      summary: "List a customer's subscriptions, newest first (strongly consistent)",
      tag: "Customers",
      params: IdParam,
      query: listQuery(idCursor("sub")),
      response: listOf(Subscription, "SubscriptionList"),
    },
    async (c, { params, query }) =>
      c.json(unwrap(await listCustomerSubscriptions(c.env, params.id, query.limit, query.cursor ?? null))),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/customers/:id/invoices",
      operationId: "listCustomerInvoices",
      summary: "List all invoices of a customer's subscriptions, newest first (strongly consistent)",
      tag: "Customers",
      params: IdParam,
      query: listQuery(idCursor("in")),
      response: listOf(Invoice, "InvoiceList"),
    },
    async (c, { params, query }) =>
      c.json(unwrap(await listCustomerInvoices(c.env, params.id, query.limit, query.cursor ?? null))),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/customers/:id/events",
      operationId: "listCustomerEvents",
      summary: "List a customer's own events (customer.created, customer.updated), oldest first",
      tag: "Customers",
      params: IdParam,
      query: listQuery(
        z
          .string()
          .regex(/^[1-9][0-9]{0,15}$/, "not a cursor this list issued; pass a next_cursor from a previous page"),
      ),
      response: listOf(Event, "CustomerEventList"),
    },
    async (c, { params, query }) =>
      send(
        c,
        await orNotFound(customerStub(c.env, params.id), "customer", params.id).events(
          params.id,
          query.limit,
          query.cursor ?? null,
        ),
      ),
  );
  return app;
}

/** A payment method the gateway cannot know is refused when it is set (Stripe's 400 resource_missing), not declined at the next renewal. */
async function requireKnownPaymentMethod(env: Env, token: string | null | undefined): Promise<void> {
  if (!token) return;
  if ((await loadConfig(env).gateway.knowsPaymentMethod?.(token)) ?? true) return;
  throw new ApiError(
    400,
    "resource_missing",
    `No such payment method: '${token}'. In test mode use pm_card_visa, pm_card_chargeDeclined or pm_card_chargeDeclinedInsufficientFunds.`,
    "payment_method",
  );
}
