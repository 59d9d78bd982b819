import { OpenAPIHono } from "@hono/zod-openapi";
import { PLAN_LIST_PREFIX } from "../../actors/plan/plan-catalog";
import { planStub } from "../../actors/stubs";
import { ApiError } from "../../errors";
import { idWithRoutingKey, randomRoutingKey, routingKeyFromIdempotencyKey } from "../../ids";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, require, send } from "../endpoint";
import type { ListPage } from "../../contract/common";
import { IdParam, ListQuery, listOf } from "../../contract/common";
import type { Plan as PlanType } from "../../contract/plan";
import { PRICE_TERMS, Plan, PlanCreate, PlanUpdate } from "../../contract/plan";

export function planRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    { method: "post", path: "/v1/plans", summary: "Create a plan", tag: "Plans", body: PlanCreate, response: Plan, status: 201 },
    async (c, { body }) => {
      const idem = await idempotencyOf(c);
      const nowMs = Date.now();
      let id = body.id;
      if (!id) {
        const key = idem ? await routingKeyFromIdempotencyKey("POST /v1/plans", idem.key) : randomRoutingKey();
        id = idWithRoutingKey("plan", nowMs, key);
      }
      const stub = require(planStub(c.env, id), "plan", id);
      return send(c, await stub.create(id, body, nowMs, idem));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/plans",
      summary: "List plans, newest first",
      description: "Read from the KV catalog index: eventually consistent across locations.",
      tag: "Plans",
      query: ListQuery,
      response: listOf(Plan, "PlanList"),
    },
    async (c, { query }) => {
      let listed: KVNamespaceListResult<unknown, string>;
      try {
        listed = await c.env.BILLIFY_KV.list({ prefix: PLAN_LIST_PREFIX, limit: query.limit, cursor: query.cursor });
      } catch (error) {
        // KV rejects a cursor it did not issue: the client's mistake, not a 500.
        if (query.cursor === undefined) throw error;
        throw new ApiError(400, "parameter_invalid", "Invalid cursor: pass a next_cursor from a previous page.", "cursor");
      }
      const plans = await Promise.all(listed.keys.map((k) => c.env.BILLIFY_KV.get<PlanType>(k.name, "json")));
      const page: ListPage<PlanType> = {
        object: "list",
        data: plans.filter((p): p is PlanType => p !== null),
        has_more: !listed.list_complete,
        next_cursor: listed.list_complete ? null : listed.cursor,
      };
      return c.json(page);
    },
  );

  endpoint(
    app,
    { method: "get", path: "/v1/plans/:id", summary: "Retrieve a plan", tag: "Plans", params: IdParam, response: Plan },
    async (c, { params }) => send(c, await require(planStub(c.env, params.id), "plan", params.id).get(params.id)),
  );

  app.on("PATCH", "/v1/plans/:id", async (c, next) => {
    rejectPriceTermChange(c.get("rawBody"));
    await next();
  });
  endpoint(
    app,
    {
      method: "patch",
      path: "/v1/plans/:id",
      summary: "Update a plan's name, active flag or metadata",
      description: "Price terms never change: create a new plan instead.",
      tag: "Plans",
      params: IdParam,
      body: PlanUpdate,
      response: Plan,
    },
    async (c, { params, body }) => {
      return send(c, await require(planStub(c.env, params.id), "plan", params.id).update(params.id, body, null));
    },
  );
  return app;
}

/** Runs before zod so that changing a price term gets a message that says why. */
export function rejectPriceTermChange(raw: unknown): void {
  if (!raw || typeof raw !== "object") return;
  const term = PRICE_TERMS.find((t) => t in raw);
  if (term) {
    throw new ApiError(
      400,
      "plan_terms_immutable",
      `A plan's '${term}' cannot change once created; create a new plan and move subscriptions to it.`,
      term,
    );
  }
}
