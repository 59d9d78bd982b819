import { OpenAPIHono, z } from "@hono/zod-openapi";
import { subscriptionStub } from "../../actors/stubs";
import { IdParam, idCursor, listOf, listQuery } from "../../contract/common";
import { DiscountApply } from "../../contract/discount";
import { EmptyBody, Invoice, InvoiceLine } from "../../contract/invoice";
import { SubscriptionUsage } from "../../contract/meter";
import {
  ChangePreview,
  Event,
  InvoiceItemCreate,
  PauseCollectionCreate,
  Subscription,
  SubscriptionCancel,
  SubscriptionChange,
  SubscriptionCreate,
} from "../../contract/subscription";
import { SubscriptionTaxRates } from "../../contract/tax-rate";
import { parseIso } from "../../domain/time";
import { ApiError } from "../../lib/errors";
import { newId, routingKeyOf } from "../../lib/ids";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, orNotFound, send } from "../endpoint";

const stubFor = (c: { env: AppEnv["Bindings"] }, id: string) =>
  orNotFound(subscriptionStub(c.env, id), "subscription", id);

export function subscriptionRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions",
      operationId: "createSubscription",
      summary: "Create a subscription",
      description: "Without a trial the first period is invoiced at once and payment is attempted.",
      tag: "Subscriptions",
      body: SubscriptionCreate,
      response: Subscription,
      status: 201,
    },
    async (c, { body }) => {
      let anchor: number | null = null;
      if (body.billing_cycle_anchor !== undefined) {
        anchor = parseIso(body.billing_cycle_anchor);
        if (anchor === null)
          throw new ApiError(
            400,
            "parameter_invalid",
            "billing_cycle_anchor must be an ISO 8601 UTC time",
            "billing_cycle_anchor",
          );
      }
      const idem = await idempotencyOf(c);
      const id = await newId("sub", Date.now(), "POST /v1/subscriptions", idem?.key);
      const input = {
        customer: body.customer,
        plan: body.plan,
        quantity: body.quantity,
        trialDays: body.trial_days ?? null,
        billingCycleAnchor: anchor,
        metadata: body.metadata,
        coupon: body.coupon,
        promotionCode: body.promotion_code,
        taxRates: body.default_tax_rates,
      };
      return send(c, await stubFor(c, id).create(id, input, idem));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/subscriptions/:id",
      operationId: "getSubscription",
      summary: "Retrieve a subscription",
      tag: "Subscriptions",
      params: IdParam,
      response: Subscription,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).get(params.id)),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/change",
      operationId: "changeSubscription",
      summary: "Change plan or quantity, with proration",
      tag: "Subscriptions",
      params: IdParam,
      body: SubscriptionChange,
      response: Subscription,
    },
    async (c, { params, body }) => send(c, await stubFor(c, params.id).change(params.id, body, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/discount",
      operationId: "applySubscriptionDiscount",
      summary: "Apply a coupon or promotion code, replacing any discount",
      description:
        "Rule 13a is checked now: a refusal is 400 coupon_invalid or promotion_code_invalid, naming the reason.",
      tag: "Subscriptions",
      params: IdParam,
      body: DiscountApply,
      response: Subscription,
    },
    async (c, { params, body }) =>
      send(c, await stubFor(c, params.id).applyDiscount(params.id, body, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "delete",
      path: "/v1/subscriptions/:id/discount",
      operationId: "deleteSubscriptionDiscount",
      summary: "End the subscription's discount now",
      tag: "Subscriptions",
      params: IdParam,
      response: Subscription,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).removeDiscount(params.id)),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/tax_rates",
      operationId: "setSubscriptionTaxRates",
      summary: "Set the tax rates of every invoice from now on",
      tag: "Subscriptions",
      params: IdParam,
      body: SubscriptionTaxRates,
      response: Subscription,
    },
    async (c, { params, body }) =>
      send(c, await stubFor(c, params.id).setTaxRates(params.id, body.default_tax_rates, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/preview_change",
      operationId: "previewSubscriptionChange",
      summary: "Preview the invoice lines a change would make; changes nothing",
      tag: "Subscriptions",
      params: IdParam,
      body: SubscriptionChange,
      response: ChangePreview,
    },
    async (c, { params, body }) => send(c, await stubFor(c, params.id).previewChange(params.id, body)),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/cancel",
      operationId: "cancelSubscription",
      summary: "Cancel now or at period end",
      tag: "Subscriptions",
      params: IdParam,
      body: SubscriptionCancel,
      response: Subscription,
    },
    async (c, { params, body }) =>
      send(c, await stubFor(c, params.id).cancel(params.id, body.at_period_end, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/resume",
      operationId: "resumeSubscription",
      summary: "Clear cancel_at_period_end",
      tag: "Subscriptions",
      params: IdParam,
      body: EmptyBody,
      response: Subscription,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).resume(params.id, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/pause_collection",
      operationId: "pauseSubscriptionCollection",
      summary: "Pause collecting payment",
      description:
        "Each invoice made during the pause is left a draft (`keep_as_draft`), or finalized and at once marked " +
        "uncollectible or voided. The pause ends at `resumes_at` or on DELETE. 400 for an ended or incomplete subscription.",
      tag: "Subscriptions",
      params: IdParam,
      body: PauseCollectionCreate,
      response: Subscription,
    },
    async (c, { params, body }) => {
      let resumesAt: number | null = null;
      if (body.resumes_at !== undefined) {
        resumesAt = parseIso(body.resumes_at);
        if (resumesAt === null)
          throw new ApiError(400, "parameter_invalid", "resumes_at must be an ISO 8601 UTC time", "resumes_at");
      }
      const terms = { behavior: body.behavior, resumesAt };
      return send(c, await stubFor(c, params.id).pauseCollection(params.id, terms, await idempotencyOf(c)));
    },
  );

  endpoint(
    app,
    {
      method: "delete",
      path: "/v1/subscriptions/:id/pause_collection",
      operationId: "resumeSubscriptionCollection",
      summary: "Resume collecting payment",
      description: "Drafts made during the pause stay drafts until finalized or voided.",
      tag: "Subscriptions",
      params: IdParam,
      response: Subscription,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).resumeCollection(params.id, null)),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/invoice_items",
      operationId: "createInvoiceItem",
      summary: "Add a pending line for the next invoice",
      tag: "Subscriptions",
      params: IdParam,
      body: InvoiceItemCreate,
      response: InvoiceLine,
      status: 201,
    },
    async (c, { params, body }) =>
      send(c, await stubFor(c, params.id).addInvoiceItem(params.id, body, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/subscriptions/:id/invoices",
      operationId: "invoiceSubscriptionNow",
      summary: "Invoice every pending line now (billing_reason: manual)",
      tag: "Subscriptions",
      params: IdParam,
      body: EmptyBody,
      response: Invoice,
      status: 201,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).invoiceNow(params.id, await idempotencyOf(c))),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/subscriptions/:id/invoices",
      operationId: "listSubscriptionInvoices",
      summary: "List a subscription's invoices, newest first",
      tag: "Subscriptions",
      params: IdParam,
      query: listQuery(idCursor("in")),
      response: listOf(Invoice, "SubscriptionInvoiceList"),
    },
    async (c, { params, query }) => {
      // A subscription's invoice ids carry its routing key: any other invoice id was not issued by this list.
      if (query.cursor !== undefined && routingKeyOf(query.cursor, "in") !== routingKeyOf(params.id, "sub")) {
        throw new ApiError(
          400,
          "parameter_invalid",
          "Invalid cursor: pass a next_cursor from a previous page of this list.",
          "cursor",
        );
      }
      return send(c, await stubFor(c, params.id).invoices(params.id, query.limit, query.cursor ?? null));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/subscriptions/:id/events",
      operationId: "listSubscriptionEvents",
      summary: "List a subscription's events, oldest first",
      tag: "Subscriptions",
      params: IdParam,
      // A place in the subscription's event log: `<batch>` or `<batch>.<index>` (event-log.ts).
      query: listQuery(
        z
          .string()
          .regex(
            /^[1-9][0-9]{0,11}(\.[0-9]{1,3})?$/,
            "not a cursor this list issued; pass a next_cursor from a previous page",
          ),
      ),
      response: listOf(Event, "EventList"),
    },
    async (c, { params, query }) =>
      send(c, await stubFor(c, params.id).events(params.id, query.limit, query.cursor ?? null)),
  );
  endpoint(
    app,
    {
      method: "get",
      path: "/v1/subscriptions/:id/usage",
      operationId: "getSubscriptionUsage",
      summary: "The current period's usage so far, priced per charge",
      description: "Eventually consistent: an accepted meter event counts here within seconds.",
      tag: "Usage",
      params: IdParam,
      response: SubscriptionUsage,
    },
    async (c, { params }) => send(c, await stubFor(c, params.id).currentUsage(params.id)),
  );

  return app;
}
