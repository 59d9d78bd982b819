import { OpenAPIHono } from "@hono/zod-openapi";
import { modeOf } from "../../actors/env";
import { readMetrics } from "../../actors/metrics/read-metrics";
import { subscriptionStub } from "../../actors/stubs";
import { renderDashboard } from "../../admin/dashboard/page";
import { listSubscriptionSummaries } from "../../admin/subscription-listing";
import {
  AdminSubscriptionQuery,
  AlarmHealth,
  LiveToken,
  LiveTokenCreate,
  Metrics,
  SubscriptionSummary,
} from "../../contract/admin";
import { IdParam, listOf } from "../../contract/common";
import { toIso } from "../../domain/time";
import { ApiError } from "../../lib/errors";
import { adminKeys } from "../../lib/keys";
import type { AppEnv } from "../context";
import { endpoint, orNotFound } from "../endpoint";
import { mintLiveToken } from "../live";

/** The admin read model (KV), metrics, live-page tokens and the dashboard. */
export function adminRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.get("/admin", (c) => c.html(renderDashboard({ mode: modeOf(c.env) })));

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/admin/subscriptions",
      operationId: "listAdminSubscriptions",
      summary: "List subscription summaries from the read model, newest first",
      description:
        "Read from KV (eventually consistent, up to a minute across locations). Filters: status, plan, customer. " +
        "With more than one filter a page may hold fewer than `limit` rows while `has_more` is true.",
      tag: "Admin",
      query: AdminSubscriptionQuery,
      response: listOf(SubscriptionSummary, "SubscriptionSummaryList"),
    },
    async (c, { query }) => c.json(await listSubscriptionSummaries(c.env.BILLIFY_KV, query)),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/admin/metrics",
      operationId: "getAdminMetrics",
      summary: "MRR per currency and subscriptions per status",
      description:
        "From aggregates kept by sharded actors as subscriptions change (never a scan). MRR is the monthly-normalised " +
        "amount × quantity of active and past_due subscriptions, rounded per subscription, halves away from zero.",
      tag: "Admin",
      response: Metrics,
    },
    async (c) => c.json(await readMetrics(c.env)),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/admin/live_tokens",
      operationId: "createLiveToken",
      summary: "Mint a short-lived token to follow one subscription live over a WebSocket",
      description: "Valid 60 seconds, for opening the connection only; the admin key never goes into a URL.",
      tag: "Admin",
      body: LiveTokenCreate,
      response: LiveToken,
      status: 201,
    },
    async (c, { body }) => {
      const stub = subscriptionStub(c.env, body.subscription);
      if (!stub)
        throw new ApiError(404, "resource_missing", `No such subscription: '${body.subscription}'`, "subscription");
      const found = await stub.get(body.subscription);
      if (!found.ok)
        throw new ApiError(404, "resource_missing", `No such subscription: '${body.subscription}'`, "subscription");
      const minted = await mintLiveToken(adminKeys(c.env)[0]!, body.subscription, Date.now());
      return c.json(
        {
          object: "live_token",
          subscription: body.subscription,
          token: minted.token,
          url: minted.path,
          expires_at: toIso(minted.expires),
        },
        201,
      );
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/admin/subscriptions/:id/alarm",
      operationId: "getSubscriptionAlarm",
      summary: "The alarm of one subscription: when it fires next, and its failed runs",
      description:
        "A failing alarm run (a bug, a provider down) backs off exponentially with jitter instead of retrying every " +
        "minute; `failures` counts the runs that failed in a row and `last_error` says why. Both return to 0 and null " +
        "after a run succeeds.",
      tag: "Admin",
      params: IdParam,
      response: AlarmHealth,
    },
    async (c, { params }) => {
      const stub = orNotFound(subscriptionStub(c.env, params.id), "subscription", params.id);
      // The read first: an id never created is 404 and creates nothing (alarmHealth would not either).
      const found = await stub.get(params.id);
      if (!found.ok) throw new ApiError(404, "resource_missing", `No such subscription: '${params.id}'`, "id");
      const health = await stub.alarmHealth();
      // Second precision (Timestamp): the alarm rounds up, so it never reads as already past.
      const iso = (ms: number | null, round: (x: number) => number) => (ms === null ? null : toIso(round(ms / 1000)));
      return c.json({
        object: "alarm_health" as const,
        subscription: params.id,
        next_alarm: iso(health.armed_at, Math.ceil),
        failures: health.failures,
        last_error: health.last_error,
        last_failure_at: iso(health.last_failed_at, Math.floor),
      });
    },
  );
  return app;
}
