import { OpenAPIHono } from "@hono/zod-openapi";
import { ulid } from "ulid";
import type { IngestAnswer, IngestEvent } from "../../actors/customer/meter-events";
import type { Env } from "../../actors/env";
import { METER_LIST_PREFIX } from "../../actors/meter/meter-actor";
import { customerStub, meterStub } from "../../actors/stubs";
import { IdParam, ListQuery, listOf } from "../../contract/common";
import type { Idempotency } from "../../contract/idempotency";
import type { MeterEventCreate as MeterEventInput, Meter as MeterType } from "../../contract/meter";
import {
  Meter,
  MeterCreate,
  MeterEvent,
  MeterEventBatch,
  MeterEventBatchCreate,
  MeterEventCreate,
  MeterUpdate,
} from "../../contract/meter";
import { parseIso } from "../../domain/time";
import { formatDecimal, parseDecimal } from "../../domain/usage/decimal";
import { ApiError } from "../../lib/errors";
import { idWithRoutingKey, meterRoutingKey, routingKeyOf } from "../../lib/ids";
import type { AppEnv } from "../context";
import { endpoint, idempotencyOf, orNotFound, send } from "../endpoint";
import { listFromKv } from "../kv-list";
import { validationApiError } from "../validation";

/** Meters rarely change: each isolate keeps one for this long before asking its actor again. */
const METER_CACHE_MS = 10_000;
const meterCache = new Map<string, { meter: MeterType | null; until: number }>();

/** The meter of an event_name (cached per isolate; a PATCH here refreshes it at once). */
async function meterOf(env: Env, eventName: string): Promise<MeterType | null> {
  const cached = meterCache.get(eventName);
  if (cached && cached.until > Date.now()) return cached.meter;
  const key = await meterRoutingKey(eventName);
  const meter = await env.METERS.getByName(key).byEventName(eventName);
  if (meterCache.size > 10_000) meterCache.clear();
  meterCache.set(eventName, { meter, until: Date.now() + METER_CACHE_MS });
  return meter;
}

export function meterRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  endpoint(
    app,
    {
      method: "post",
      path: "/v1/meters",
      operationId: "createMeter",
      summary: "Create a meter",
      description: "event_name is unique: a second meter with the same one is 409.",
      tag: "Usage",
      body: MeterCreate,
      response: Meter,
      status: 201,
      errors: [409],
    },
    async (c, { body }) => {
      const idem = await idempotencyOf(c);
      const key = await meterRoutingKey(body.event_name);
      const id = idWithRoutingKey("mtr", Date.now(), key);
      const outcome = await c.env.METERS.getByName(key).create(id, body, Date.now(), idem);
      meterCache.delete(body.event_name);
      return send(c, outcome);
    },
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/meters",
      operationId: "listMeters",
      summary: "List meters, newest first",
      description: "Read from a KV index: eventually consistent across locations.",
      tag: "Usage",
      query: ListQuery,
      response: listOf(Meter, "MeterList"),
    },
    async (c, { query }) => c.json(await listFromKv<MeterType>(c, METER_LIST_PREFIX, query)),
  );

  endpoint(
    app,
    {
      method: "get",
      path: "/v1/meters/:id",
      operationId: "getMeter",
      summary: "Retrieve a meter",
      tag: "Usage",
      params: IdParam,
      response: Meter,
    },
    async (c, { params }) => send(c, await orNotFound(meterStub(c.env, params.id), "meter", params.id).get(params.id)),
  );

  app.on("PATCH", "/v1/meters/:id", async (c, next) => {
    const raw = c.get("rawBody");
    if (raw && typeof raw === "object") {
      const term = ["event_name", "aggregation", "value_key"].find((t) => t in raw);
      if (term)
        throw new ApiError(400, "meter_terms_immutable", `A meter's '${term}' cannot change once created.`, term);
    }
    await next();
  });
  endpoint(
    app,
    {
      method: "patch",
      path: "/v1/meters/:id",
      operationId: "updateMeter",
      summary: "Update a meter's display_name or status",
      tag: "Usage",
      params: IdParam,
      body: MeterUpdate,
      response: Meter,
    },
    async (c, { params, body }) => {
      const outcome = await orNotFound(meterStub(c.env, params.id), "meter", params.id).update(params.id, body, null);
      if (outcome.ok) meterCache.delete(outcome.value.event_name);
      return send(c, outcome);
    },
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/meter_events",
      operationId: "createMeterEvent",
      summary: "Report one usage event",
      description:
        "201 with the event; an identifier already recorded for this event_name and customer answers 200 with the stored event (counted once).",
      tag: "Usage",
      body: MeterEventCreate,
      response: MeterEvent,
      status: 201,
    },
    async (c, { body }) => {
      const { results, replayed } = await ingest(c.env, [body], "", await idempotencyOf(c));
      const [event] = results;
      return c.json(event!.event, event!.duplicate ? 200 : 201, replayedHeader(replayed));
    },
  );

  endpoint(
    app,
    {
      method: "post",
      path: "/v1/meter_events/batch",
      operationId: "createMeterEventBatch",
      summary: "Report up to 100 usage events at once",
      description:
        "One invalid event refuses the whole batch (400, param such as events[3].timestamp) and stores nothing.",
      tag: "Usage",
      body: MeterEventBatchCreate,
      response: MeterEventBatch,
    },
    async (c, { body }) => {
      const events = body.events.map((raw, i) => {
        const parsed = MeterEventCreate.safeParse(raw, { reportInput: true });
        if (!parsed.success) {
          const error = validationApiError(parsed.error.issues);
          const param = error.body.param ? `events[${i}].${error.body.param}` : `events[${i}]`;
          throw new ApiError(400, error.body.code, error.body.message.replace(/'([^']*)'/, `'${param}'`), param);
        }
        return parsed.data;
      });
      const { results, replayed } = await ingest(c.env, events, "events", await idempotencyOf(c));
      const duplicates = results.filter((r) => r.duplicate).length;
      const batch: MeterEventBatch = { object: "meter_event_batch", accepted: results.length - duplicates, duplicates };
      return c.json(batch, 200, replayedHeader(replayed));
    },
  );
  return app;
}

/**
 * Validates every event against its meter (rule 14a), then records them with one call per
 * customer. A batch that spans customers is first checked by each of them (timestamps on its
 * clock) before any records, so a refusal stores nothing.
 */
const replayedHeader = (replayed: boolean): Record<string, string> =>
  replayed ? { "Idempotent-Replayed": "true" } : {};

async function ingest(env: Env, events: readonly MeterEventInput[], list: string, idem: Idempotency | null) {
  const param = (i: number, field: string) => (list ? `${list}[${i}].${field}` : field);
  const byCustomer = new Map<string, { index: number; event: IngestEvent }[]>();
  for (const [i, input] of events.entries()) {
    const meter = await meterOf(env, input.event_name);
    if (meter?.status !== "active")
      throw new ApiError(
        400,
        "parameter_invalid",
        `No active meter has the event_name '${input.event_name}'.`,
        param(i, "event_name"),
      );
    const customer = input.payload.customer;
    if (typeof customer !== "string" || customer.length === 0)
      throw new ApiError(
        400,
        "parameter_missing",
        "payload.customer (a customer id) is required.",
        param(i, "payload.customer"),
      );
    if (!routingKeyOf(customer, "cus"))
      throw new ApiError(400, "resource_missing", `No such customer: '${customer}'`, param(i, "payload.customer"));
    const value = meterValue(meter, input.payload[meter.value_key]);
    if (value === undefined)
      throw new ApiError(
        400,
        input.payload[meter.value_key] === undefined ? "parameter_missing" : "parameter_invalid",
        `payload.${meter.value_key} must be a decimal number ≥ 0 with at most 12 fractional and 15 integer digits.`,
        param(i, `payload.${meter.value_key}`),
      );
    let timestamp: number | null = null;
    if (input.timestamp !== undefined) {
      timestamp = parseIso(input.timestamp);
      if (timestamp === null)
        throw new ApiError(400, "parameter_invalid", "timestamp must be an ISO 8601 UTC time.", param(i, "timestamp"));
    }
    const group = byCustomer.get(customer) ?? [];
    group.push({
      index: i,
      event: {
        event_name: input.event_name,
        identifier: input.identifier ?? `mev_${ulid()}`,
        timestamp,
        value,
        payload: input.payload,
      },
    });
    byCustomer.set(customer, group);
  }
  const nowMs = Date.now();
  const call = (customer: string, checkOnly: boolean) =>
    customerStub(env, customer)!.recordMeterEvents(
      customer,
      byCustomer.get(customer)!.map((e) => e.event),
      nowMs,
      checkOnly,
      checkOnly ? null : idem,
    );
  const refuse = (customer: string, answer: Extract<IngestAnswer, { ok: false }>) => {
    if (answer.error)
      return new ApiError(
        answer.status,
        answer.error.code,
        answer.error.message,
        answer.error.param,
        answer.error.type,
      );
    const index = byCustomer.get(customer)![answer.refusal.index]!.index;
    return new ApiError(answer.status, answer.refusal.code, answer.refusal.message, param(index, answer.refusal.param));
  };
  const customers = [...byCustomer.keys()];
  if (customers.length > 1) {
    const checks = await Promise.all(customers.map((c) => call(c, true)));
    checks.forEach((answer, i) => {
      if (!answer.ok) throw refuse(customers[i]!, answer);
    });
  }
  const answers = await Promise.all(customers.map((c) => call(c, false)));
  const results: { event: MeterEventType; duplicate: boolean }[] = new Array(events.length);
  answers.forEach((answer, i) => {
    const customer = customers[i]!;
    if (!answer.ok) throw refuse(customer, answer);
    answer.events.forEach((result, j) => {
      results[byCustomer.get(customer)![j]!.index] = result;
    });
  });
  return { results, replayed: answers.every((a) => a.ok && a.replayed === true) };
}

type MeterEventType = Extract<IngestAnswer, { ok: true }>["events"][number]["event"];

/** The value an event gives its meter: a decimal (sum, max, last), a distinct key (unique_count), none (count). */
function meterValue(meter: MeterType, raw: unknown): string | null | undefined {
  if (meter.aggregation === "count") return null;
  if (meter.aggregation === "unique_count") {
    if (typeof raw === "string" && raw.length > 0) return raw;
    if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
    return undefined;
  }
  const value = parseDecimal(raw);
  return value === null ? undefined : formatDecimal(value);
}
