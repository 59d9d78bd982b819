import { OpenAPIHono } from "@hono/zod-openapi";
import { modeOf } from "../../actors/env";
import { testClockStub } from "../../actors/stubs";
import type { TestClockView } from "../../actors/test-clock/test-clock-actor";
import { IdParam } from "../../contract/common";
import type { Outcome } from "../../contract/errors";
import { TestClock, TestClockAdvance, TestClockCreate } from "../../contract/test-clock";
import { parseIso } from "../../domain/time";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, orNotFound, send } from "../endpoint";

function parseFrozenTime(text: string): number {
  const t = parseIso(text);
  if (t === null)
    throw new ApiError(400, "parameter_invalid", "frozen_time must be an ISO 8601 UTC time", "frozen_time");
  return t;
}

/** The clock's API shape (without the internal instant). */
function publicView(outcome: Outcome<TestClockView>): Outcome<TestClock> {
  if (!outcome.ok) return outcome;
  const { frozen_time_instant: _instant, ...clock } = outcome.value;
  return { ...outcome, value: clock };
}

export function testClockRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Test clocks exist only in test mode; in live mode their routes answer 404 (docs/billing-rules.md, Conventions).
  app.use("/v1/test_clocks/*", async (c, next) => {
    if (modeOf(c.env) !== "test") throw new ApiError(404, "route_not_found", "Test clocks exist only in test mode.");
    await next();
  });
  app.use("/v1/test_clocks", async (c, next) => {
    if (modeOf(c.env) !== "test") throw new ApiError(404, "route_not_found", "Test clocks exist only in test mode.");
    await next();
  });

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/test_clocks",
      operationId: "createTestClock",
      summary: "Create a test clock (test mode)",
      tag: "Test clocks",
      body: TestClockCreate,
      response: TestClock,
      status: 201,
    },
    async (c, { body }) => {
      const frozen = parseFrozenTime(body.frozen_time);
      const idem = await idempotencyOf(c);
      const nowMs = Date.now();
      const id = await newId("clock", nowMs, "POST /v1/test_clocks", idem?.key);
      const stub = orNotFound(await testClockStub(c.env, id), "test clock", id);
      return send(c, publicView(await stub.create(id, frozen, nowMs, idem)));
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/test_clocks/:id",
      operationId: "getTestClock",
      summary: "Retrieve a test clock",
      tag: "Test clocks",
      params: IdParam,
      response: TestClock,
    },
    async (c, { params }) =>
      send(
        c,
        publicView(await orNotFound(await testClockStub(c.env, params.id), "test clock", params.id).get(params.id)),
      ),
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/test_clocks/:id/advance",
      operationId: "advanceTestClock",
      summary: "Advance the clock; runs every renewal, retry and notification due, in time order",
      description: "Answers once everything due has run, with status ready.",
      tag: "Test clocks",
      params: IdParam,
      body: TestClockAdvance,
      response: TestClock,
    },
    async (c, { params, body }) => {
      const to = parseFrozenTime(body.frozen_time);
      const stub = orNotFound(await testClockStub(c.env, params.id), "test clock", params.id);
      return send(c, publicView(await stub.advance(params.id, to, await idempotencyOf(c))));
    },
  );
  return app;
}
