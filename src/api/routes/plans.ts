import { OpenAPIHono } from "@hono/zod-openapi";
import { meterStub, planStub } from "../../actors/stubs";
import type { ListPage } from "../../contract/common";
import { IdParam, ListQuery, listOf } from "../../contract/common";
import type { Plan as PlanType } from "../../contract/plan";
import { Plan, PlanCreate, PlanUpdate, PRICE_TERMS } from "../../contract/plan";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { CursorFormat } from "../../lib/kv-listing";
import { listIndexPage } from "../../lib/kv-listing";
import { PLAN_LIST_PREFIX } from "../../lib/plan-catalog";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, orNotFound, send } from "../endpoint";

export function planRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "post",
      path: "/v1/plans",
      operationId: "createPlan",
      summary: "Create a plan",
      tag: "Plans",
      body: PlanCreate,
      response: Plan,
      status: 201,
    },
    async (c, { body }) => {
      const idem = await idempotencyOf(c);
      const nowMs = Date.now();
      const id = body.id ?? (await newId("plan", nowMs, "POST /v1/plans", idem?.key));
      // Every charge names a meter that exists (its terms are copied by each subscription).
      for (const [i, charge] of body.charges.entries()) {
        const meter = await meterStub(c.env, charge.meter)?.get(charge.meter);
        if (!meter?.ok)
          throw new ApiError(400, "resource_missing", `No such meter: '${charge.meter}'`, `charges[${i}].meter`);
      }
      const stub = orNotFound(planStub(c.env, id), "plan", id);
      return send(c, await stub.create(id, body, nowMs, idem));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/plans",
      operationId: "listPlans",
      summary: "List plans, newest first",
      description: "Read from the KV catalog index: eventually consistent across locations.",
      tag: "Plans",
      query: ListQuery,
      response: listOf(Plan, "PlanList"),
    },
    async (c, { query }) => {
      // The catalog is a KV index like the admin listings, paged with the same wrapped cursor.
      const { keys, nextCursor: next } = await listIndexPage(
        c.env.BILLIFY_KV,
        PLAN_LIST_PREFIX,
        query.limit,
        query.cursor,
        PLAN_CURSOR,
      );
      const plans = await Promise.all(keys.map((k) => c.env.BILLIFY_KV.get<PlanType>(k.name, "json")));
      const page: ListPage<PlanType> = {
        object: "list",
        data: plans.filter((p): p is PlanType => p !== null),
        has_more: next !== null,
        next_cursor: next,
      };
      return c.json(page);
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/plans/:id",
      operationId: "getPlan",
      summary: "Retrieve a plan",
      tag: "Plans",
      params: IdParam,
      response: Plan,
    },
    async (c, { params }) => send(c, await orNotFound(planStub(c.env, params.id), "plan", params.id).get(params.id)),
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
      operationId: "updatePlan",
      summary: "Update a plan's name, active flag or metadata",
      description: "Price terms never change: create a new plan instead.",
      tag: "Plans",
      params: IdParam,
      body: PlanUpdate,
      response: Plan,
    },
    async (c, { params, body }) => {
      return send(c, await orNotFound(planStub(c.env, params.id), "plan", params.id).update(params.id, body, null));
    },
  );
  return app;
}

/** Runs before zod so that changing a price term gets a message that says why. */
function rejectPriceTermChange(raw: unknown): void {
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

/** The plan list's `next_cursor`: `[KV's cursor, the page's last key]` (kept as issued since the first release). */
const PLAN_CURSOR: CursorFormat = {
  encode: (_prefix, cursor) => JSON.stringify([cursor.kv, cursor.after]),
  decode: (prefix, json) =>
    Array.isArray(json) &&
    json.length === 2 &&
    typeof json[0] === "string" &&
    typeof json[1] === "string" &&
    json[1].startsWith(prefix)
      ? { kv: json[0], after: json[1] }
      : null,
  invalid: "Invalid cursor: pass a next_cursor from a previous page of this list.",
};
