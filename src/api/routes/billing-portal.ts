import { OpenAPIHono } from "@hono/zod-openapi";
import { loadConfig } from "../../actors/config";
import { customerStub } from "../../actors/stubs";
import { BillingPortalSession, BillingPortalSessionCreate } from "../../contract/portal";
import { instantFromMillis } from "../../domain/time";
import { ApiError } from "../../lib/errors";
import { idWithRoutingKey, routingKeyOf } from "../../lib/ids";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, send } from "../endpoint";

export function billingPortalRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "post",
      path: "/v1/billing_portal/sessions",
      operationId: "createBillingPortalSession",
      summary: "Create a link to the customer's portal",
      description:
        "A single-use link, valid BILLIFY_PORTAL_TTL_SECONDS (default 30 minutes), to a page where the customer sees " +
        "their subscriptions and invoices, cancels at period end or resumes, changes plan after a preview, and " +
        "replaces their payment method. Opening it starts a session for that customer only.",
      tag: "Customers",
      body: BillingPortalSessionCreate,
      response: BillingPortalSession,
      status: 201,
    },
    async (c, { body }) => {
      const key = routingKeyOf(body.customer, "cus");
      const stub = customerStub(c.env, body.customer);
      if (!key || !stub)
        throw new ApiError(400, "resource_missing", `No such customer: '${body.customer}'`, "customer");
      const config = loadConfig(c.env);
      const nowMs = Date.now();
      const input = {
        id: idWithRoutingKey("bps", nowMs, key),
        returnUrl: body.return_url,
        now: instantFromMillis(nowMs),
        ttlSeconds: config.portalTtlSeconds,
        publicUrl: config.publicUrl,
      };
      return send(c, await stub.createPortalSession(body.customer, input, await idempotencyOf(c)));
    },
  );
  return app;
}
