import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { modeOf } from "../../actors/env";
import { endpointsStub } from "../../actors/stubs";
import { ROLL_GRACE_DEFAULT_SECONDS } from "../../actors/webhook-endpoints/endpoints-actor";
import { IdParam, idCursor, listOf, listQuery } from "../../contract/common";
import {
  DeletedWebhookEndpoint,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointUpdate,
  WebhookSecretRoll,
} from "../../contract/webhook-endpoint";
import { ApiError } from "../../lib/errors";
import { idWithRoutingKey, randomRoutingKey } from "../../lib/ids";
import { parseWebhookUrlGuard, refusedWebhookHost, serviceHostnames } from "../../notifications/webhooks/url-guard";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, send } from "../endpoint";

/**
 * docs/billing-rules.md, Events: `https://` only in live mode; any http(s) URL in test mode (local receivers). With the URL
 * guard on (always in live mode), a host that reaches inside is refused: 400 `url_not_allowed`.
 */
function checkUrl(c: Context<AppEnv>, url: string | undefined): void {
  if (url === undefined) return;
  const protocol = new URL(url).protocol;
  const allowed = modeOf(c.env) === "live" ? ["https:"] : ["https:", "http:"];
  if (!allowed.includes(protocol)) {
    const what = modeOf(c.env) === "live" ? "an https:// URL in live mode" : "an http:// or https:// URL";
    throw new ApiError(400, "parameter_invalid", `url must be ${what}.`, "url");
  }
  if (!parseWebhookUrlGuard(c.env.BILLIFY_WEBHOOK_URL_GUARD, modeOf(c.env))) return;
  const own = [
    ...serviceHostnames(c.env.BILLIFY_SERVICE_HOSTNAMES, c.env.BILLIFY_PUBLIC_URL),
    new URL(c.req.url).hostname,
  ];
  const refusal = refusedWebhookHost(url, own);
  if (refusal) {
    throw new ApiError(
      400,
      "url_not_allowed",
      `url must reach a public host: ${refusal.host} is ${refusal.class.replace("_", "-")} (README "Webhook URL guard").`,
      "url",
    );
  }
}

/** Only a well-formed `we_…` id can name an endpoint; anything else is 404 without a lookup. */
function checkId(id: string): void {
  if (!/^we_[0-9A-HJKMNP-TV-Z]{26}$/.test(id))
    throw new ApiError(404, "resource_missing", `No such webhook endpoint: '${id}'`, "id");
}

export function webhookEndpointRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "post",
      path: "/v1/webhook_endpoints",
      operationId: "createWebhookEndpoint",
      summary: "Create a webhook endpoint",
      description: "The answer carries the signing secret (whsec_…), shown this once.",
      tag: "Webhook endpoints",
      body: WebhookEndpointCreate,
      response: WebhookEndpoint,
      status: 201,
    },
    async (c, { body }) => {
      checkUrl(c, body.url);
      const idem = await idempotencyOf(c);
      const nowMs = Date.now();
      return send(
        c,
        await endpointsStub(c.env).create(idWithRoutingKey("we", nowMs, randomRoutingKey()), body, nowMs, idem),
      );
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/webhook_endpoints",
      operationId: "listWebhookEndpoints",
      summary: "List webhook endpoints, newest first",
      tag: "Webhook endpoints",
      query: listQuery(idCursor("we")),
      response: listOf(WebhookEndpoint, "WebhookEndpointList"),
    },
    async (c, { query }) => send(c, await endpointsStub(c.env).list(query.limit, query.cursor ?? null)),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/webhook_endpoints/:id",
      operationId: "retrieveWebhookEndpoint",
      summary: "Retrieve a webhook endpoint",
      tag: "Webhook endpoints",
      params: IdParam,
      response: WebhookEndpoint,
    },
    async (c, { params }) => {
      checkId(params.id);
      return send(c, await endpointsStub(c.env).get(params.id));
    },
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/webhook_endpoints/:id",
      operationId: "updateWebhookEndpoint",
      summary: "Update a webhook endpoint",
      description:
        'Change url, enabled_events or status; {"status":"enabled"} re-enables an endpoint that was disabled after 3 days of failures.',
      tag: "Webhook endpoints",
      params: IdParam,
      body: WebhookEndpointUpdate,
      response: WebhookEndpoint,
    },
    async (c, { params, body }) => {
      checkId(params.id);
      checkUrl(c, body.url);
      return send(c, await endpointsStub(c.env).update(params.id, body, await idempotencyOf(c)));
    },
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/webhook_endpoints/:id/roll_secret",
      operationId: "rollWebhookEndpointSecret",
      summary: "Roll a webhook endpoint's signing secret",
      description:
        "Returns a new signing secret (whsec_…), shown this once. For `expiration_seconds` (default 24 h) deliveries carry two signatures, `v1=<new>,v1=<old>`, so a receiver verifies with either secret while it switches.",
      tag: "Webhook endpoints",
      params: IdParam,
      body: WebhookSecretRoll,
      response: WebhookEndpoint,
    },
    async (c, { params, body }) => {
      checkId(params.id);
      const grace = body.expiration_seconds ?? ROLL_GRACE_DEFAULT_SECONDS;
      return send(c, await endpointsStub(c.env).rollSecret(params.id, grace, Date.now(), await idempotencyOf(c)));
    },
  );

  endpoint(
    app,
    {
      method: "delete",
      path: "/v1/webhook_endpoints/:id",
      operationId: "deleteWebhookEndpoint",
      summary: "Delete a webhook endpoint",
      tag: "Webhook endpoints",
      params: IdParam,
      response: DeletedWebhookEndpoint,
    },
    async (c, { params }) => {
      checkId(params.id);
      return send(c, await endpointsStub(c.env).remove(params.id));
    },
  );
  return app;
}
