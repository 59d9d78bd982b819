import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Outcome } from "../contract/errors";
import type { Idempotency } from "../contract/idempotency";
import { sha256Hex } from "../lib/bytes";
import { canonicalJson } from "../lib/canonical-json";
import { ApiError, apiErrorOf } from "../lib/errors";
import type { AppEnv } from "./context";
import { errorResponses } from "./openapi-errors";
import { parseRequestPart } from "./validation";

type Method = "get" | "post" | "patch" | "delete";
type Schema = z.ZodType;
type Infer<S> = S extends Schema ? z.output<S> : undefined;

interface EndpointSpec<B, Q, P> {
  method: Method;
  /** Hono path syntax: /v1/plans/:id */
  path: string;
  /** Unique, camelCase (`createPlan`); the name a generated client gives the call. */
  operationId?: string;
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  params?: P;
  response: Schema;
  status?: number;
  description?: string;
  /** Error statuses this operation can answer besides the ones every operation of its shape can. */
  errors?: number[];
}

interface EndpointInput<B, Q, P> {
  body: Infer<B>;
  query: Infer<Q>;
  params: Infer<P>;
}

const IdempotencyKeyHeader = z.object({
  "Idempotency-Key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      param: { name: "Idempotency-Key", in: "header" },
      description:
        "Makes the POST safe to retry: the same key with the same body within 24 h returns the first response " +
        "(with `Idempotent-Replayed: true`) and does nothing again; with another body, 422 idempotency_error.",
      example: "order-4411-attempt-1",
    }),
});

/**
 * Registers one endpoint: its zod schemas write its OpenAPI entry and validate the request,
 * so the document can never disagree with what is enforced. Validation is ours, not
 * @hono/zod-openapi's: the body was read once by `readJsonBody` (app.ts), an empty body
 * there is `{}`, and each part is parsed with `parseRequestPart`, which tells a missing
 * field from a wrong one. The handler gets the parsed, typed values.
 */
export function endpoint<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined>(
  app: OpenAPIHono<AppEnv>,
  spec: EndpointSpec<B, Q, P>,
  handler: (c: Context<AppEnv>, input: EndpointInput<B, Q, P>) => Promise<Response>,
): void {
  const openApiPath = spec.path.replace(/:(\w+)/g, "{$1}");
  const status = spec.status ?? 200;
  // A body whose every field is optional may be left out entirely (docs/billing-rules.md, Conventions).
  const bodyRequired = spec.body ? !spec.body.safeParse({}).success : false;
  const route = createRoute({
    method: spec.method,
    path: openApiPath,
    operationId: spec.operationId ?? defaultOperationId(spec.method, spec.path),
    summary: spec.summary,
    description: spec.description,
    tags: [spec.tag],
    security: [{ bearerAuth: [] }],
    request: {
      ...(spec.body
        ? { body: { required: bodyRequired, content: { "application/json": { schema: spec.body } } } }
        : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.method === "post" ? { headers: IdempotencyKeyHeader } : {}),
    } as RouteConfig["request"],
    responses: {
      [status]: {
        description: "Success",
        ...(spec.method === "post" ? { headers: { "Idempotent-Replayed": replayedHeader } } : {}),
        content: { "application/json": { schema: spec.response } },
      },
      ...errorResponses({
        body: spec.body !== undefined || spec.method === "post" || spec.method === "patch",
        query: spec.query !== undefined,
        params: spec.params !== undefined,
        idempotent: spec.method === "post",
        writes: spec.method !== "get",
        extra: spec.errors ?? [],
      }),
    },
  } satisfies RouteConfig);
  app.openAPIRegistry.registerPath(route);
  app.on(spec.method.toUpperCase(), spec.path, async (c) => {
    const input: EndpointInput<B, Q, P> = {
      params: (spec.params ? parseRequestPart(spec.params, c.req.param()) : undefined) as Infer<P>,
      query: (spec.query ? parseRequestPart(spec.query, singleQueryValues(c)) : undefined) as Infer<Q>,
      body: (spec.body ? parseRequestPart(spec.body, c.get("rawBody") ?? {}) : undefined) as Infer<B>,
    };
    return handler(c as Context<AppEnv>, input);
  });
}

const replayedHeader = {
  description: "`true` when this is the stored response of an earlier request with the same Idempotency-Key.",
  schema: { type: "string" as const, enum: ["true"] },
};

/** `?limit=5` → `{ limit: "5" }`; a repeated key keeps every value, so zod reports it as the wrong type. */
function singleQueryValues(c: Context<AppEnv>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, values] of Object.entries(c.req.queries())) out[key] = values.length === 1 ? values[0]! : values;
  return out;
}

/** `post /v1/subscriptions/:id/cancel` → `postSubscriptionsIdCancel`, for routes that name none. */
function defaultOperationId(method: string, path: string): string {
  const words = path
    .replace(/^\/v1\//, "")
    .split(/[/_-]+/)
    .map((w) => w.replace(/^[:{]|}$/g, ""))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

/** Writes an actor's outcome as the response: the value, or its failure thrown to the app's `onError`. */
export function send<T>(c: Context<AppEnv>, outcome: Outcome<T> & { replayed?: boolean }): Response {
  const headers: Record<string, string> = outcome.replayed ? { "Idempotent-Replayed": "true" } : {};
  if (!outcome.ok) throw apiErrorOf(outcome).withHeaders(headers);
  return c.json(outcome.value as object, outcome.status as 200, headers);
}

/** The Idempotency-Key of a POST, with the fingerprint of the request it was sent with. */
export async function idempotencyOf(c: Context<AppEnv>): Promise<Idempotency | null> {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined) return null;
  if (key.length === 0 || key.length > 255) {
    throw new ApiError(
      400,
      "idempotency_key_invalid",
      "Idempotency-Key must be 1 to 255 characters.",
      "Idempotency-Key",
    );
  }
  const canonical = `${c.req.method} ${c.req.path}\n${canonicalJson(c.get("rawBody") ?? {})}`;
  const fingerprint = await sha256Hex(canonical);
  const nowMs = Date.now();
  // The key's scope is the account (docs/billing-rules.md, Conventions): its own actor binds it to the first request.
  // Cost per keyed request: one more actor request; one row written on first use.
  const bound = await c.env.IDEMPOTENCY_KEYS.getByName(await sha256Hex(key)).bind(fingerprint, nowMs);
  if (!bound.ok) {
    throw new ApiError(
      422,
      "idempotency_key_reused",
      "This Idempotency-Key was already used with another request (another endpoint, object or body) in the last 24 hours. Use a new key for a new request.",
      undefined,
      "idempotency_error",
    );
  }
  return { key, fingerprint, nowMs };
}

/** Unwraps a stub that may be null (an id of the wrong shape): 404 in the envelope. */
export function orNotFound<T>(stub: T | null, what: string, id: string, param = "id"): T {
  if (!stub) throw new ApiError(404, "resource_missing", `No such ${what}: '${id}'`, param);
  return stub;
}
