import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Idempotency } from "../actors/actor";
import type { Outcome } from "../errors";
import { ApiError } from "../errors";
import type { AppEnv } from "./context";
import { ErrorEnvelope } from "../contract/common";

type Method = "get" | "post" | "patch" | "delete";
type Schema = z.ZodType;
type Infer<S> = S extends Schema ? z.infer<S> : undefined;

export interface EndpointSpec<B, Q, P> {
  method: Method;
  /** Hono path syntax: /v1/plans/:id */
  path: string;
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  params?: P;
  response: Schema;
  status?: number;
  description?: string;
}

export interface EndpointInput<B, Q, P> {
  body: Infer<B>;
  query: Infer<Q>;
  params: Infer<P>;
}

/**
 * Registers one endpoint: its zod schemas validate the request and write its OpenAPI entry,
 * so the document can never disagree with what is enforced.
 */
export function endpoint<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined>(
  app: OpenAPIHono<AppEnv>,
  spec: EndpointSpec<B, Q, P>,
  handler: (c: Context<AppEnv>, input: EndpointInput<B, Q, P>) => Promise<Response>,
): void {
  const openApiPath = spec.path.replace(/:(\w+)/g, "{$1}");
  const route = createRoute({
    method: spec.method,
    path: openApiPath,
    summary: spec.summary,
    description: spec.description,
    tags: [spec.tag],
    security: [{ bearerAuth: [] }],
    request: {
      ...(spec.body ? { body: { required: true, content: { "application/json": { schema: spec.body } } } } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.method === "post"
        ? { headers: z.object({ "idempotency-key": z.string().max(255).optional() }) }
        : {}),
    },
    responses: {
      [spec.status ?? 200]: { description: "Success", content: { "application/json": { schema: spec.response } } },
      default: { description: "Error", content: { "application/json": { schema: ErrorEnvelope } } },
    },
  } as RouteConfig);
  const run = async (c: Context<AppEnv>) => {
    const valid = c.req as unknown as { valid(target: string): unknown };
    return handler(c, {
      body: (spec.body ? valid.valid("json") : undefined) as Infer<B>,
      query: (spec.query ? valid.valid("query") : undefined) as Infer<Q>,
      params: (spec.params ? valid.valid("param") : undefined) as Infer<P>,
    });
  };
  app.openapi(route, run as unknown as RouteHandler<RouteConfig, AppEnv>);
}

/** Writes an actor's outcome as the response (the value, or the error envelope). */
export function send<T>(c: Context<AppEnv>, outcome: Outcome<T> & { replayed?: boolean }): Response {
  const headers: Record<string, string> = outcome.replayed ? { "Idempotent-Replayed": "true" } : {};
  const body = outcome.ok ? outcome.value : { error: outcome.error };
  return c.json(body as object, outcome.status as 200, headers);
}

/** The Idempotency-Key of a POST, with the fingerprint of the request it was sent with. */
export async function idempotencyOf(c: Context<AppEnv>): Promise<Idempotency | null> {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined) return null;
  if (key.length === 0 || key.length > 255) {
    throw new ApiError(400, "idempotency_key_invalid", "Idempotency-Key must be 1 to 255 characters.", "Idempotency-Key");
  }
  const canonical = `${c.req.method} ${c.req.path}\n${canonicalJson(c.get("rawBody") ?? {})}`;
  const fingerprint = await sha256Hex(canonical);
  const nowMs = Date.now();
  // The key's scope is the account (API.md §1): its own actor binds it to the first request.
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

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** JSON with object keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Unwraps a stub that may be null (an id of the wrong shape): 404 in the envelope. */
export function require<T>(stub: T | null, what: string, id: string, param = "id"): T {
  if (!stub) throw new ApiError(404, "resource_missing", `No such ${what}: '${id}'`, param);
  return stub;
}
