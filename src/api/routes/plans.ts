import { OpenAPIHono } from "@hono/zod-openapi";
import { meterStub, planStub } from "../../actors/stubs";
import type { ListPage } from "../../contract/common";
import { IdParam, ListQuery, listOf } from "../../contract/common";
import { ApiError } from "../../contract/errors";
import type { Plan as PlanType } from "../../contract/plan";
import { Plan, PlanCreate, PlanUpdate, PRICE_TERMS } from "../../contract/plan";
import { base64url, fromBase64url } from "../../lib/bytes";
import { idWithRoutingKey, randomRoutingKey, routingKeyFromIdempotencyKey } from "../../lib/ids";
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
      let id = body.id;
      if (!id) {
        const key = idem ? await routingKeyFromIdempotencyKey("POST /v1/plans", idem.key) : randomRoutingKey();
        id = idWithRoutingKey("plan", nowMs, key);
      }
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
      const from = query.cursor === undefined ? null : decodePlanCursor(query.cursor);
      let listed: KVNamespaceListResult<unknown, string>;
      try {
        listed = await c.env.BILLIFY_KV.list({ prefix: PLAN_LIST_PREFIX, limit: query.limit, cursor: from?.kv });
      } catch (error) {
        // KV rejects a cursor it did not issue: the client's mistake, not a 500.
        if (from === null) throw error;
        throw invalidCursor();
      }
      // A KV cursor that is not KV's own can also restart at the first page: keys come in order, so the
      // first key of a real next page sorts after the last key of the page the cursor came from.
      const first = listed.keys[0];
      if (from !== null && first !== undefined && first.name <= from.after) throw invalidCursor();
      const plans = await Promise.all(listed.keys.map((k) => c.env.BILLIFY_KV.get<PlanType>(k.name, "json")));
      const last = listed.keys.at(-1);
      const next =
        !listed.list_complete && last !== undefined ? encodePlanCursor({ kv: listed.cursor, after: last.name }) : null;
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

interface PlanCursor {
  /** KV's own cursor. */
  kv: string;
  /** The last catalog key of the page it follows. */
  after: string;
}

/** `next_cursor` of the plan list: KV's cursor and the page's last key, base64url JSON. */
export function encodePlanCursor(cursor: PlanCursor): string {
  return base64url(new TextEncoder().encode(JSON.stringify([cursor.kv, cursor.after])));
}

/** The cursor, or a 400 naming `cursor` when it is not one this list issued. */
export function decodePlanCursor(text: string): PlanCursor {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(fromBase64url(text)));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === "string" &&
      typeof parsed[1] === "string" &&
      parsed[1].startsWith(PLAN_LIST_PREFIX)
    ) {
      return { kv: parsed[0], after: parsed[1] };
    }
  } catch {
    // not base64 or not JSON: not ours
  }
  throw invalidCursor();
}

function invalidCursor(): ApiError {
  return new ApiError(
    400,
    "parameter_invalid",
    "Invalid cursor: pass a next_cursor from a previous page of this list.",
    "cursor",
  );
}
