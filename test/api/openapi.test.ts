import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { api } from "../helpers";

interface Operation {
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  security?: Record<string, string[]>[];
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { type?: string; properties?: Record<string, unknown>; required?: string[] }>; securitySchemes?: Record<string, { type: string; scheme?: string }> };
}

/** API.md §3 routes that src/api/routes implements (the admin subscriptions and metrics routes are not built yet). */
const ROUTES: [method: string, path: string][] = [
  ["post", "/v1/plans"],
  ["get", "/v1/plans"],
  ["get", "/v1/plans/{id}"],
  ["patch", "/v1/plans/{id}"],
  ["post", "/v1/customers"],
  ["get", "/v1/customers/{id}"],
  ["patch", "/v1/customers/{id}"],
  ["get", "/v1/customers/{id}/subscriptions"],
  ["get", "/v1/customers/{id}/invoices"],
  ["get", "/v1/customers/{id}/events"],
  ["post", "/v1/subscriptions"],
  ["get", "/v1/subscriptions/{id}"],
  ["post", "/v1/subscriptions/{id}/change"],
  ["post", "/v1/subscriptions/{id}/preview_change"],
  ["post", "/v1/subscriptions/{id}/cancel"],
  ["post", "/v1/subscriptions/{id}/resume"],
  ["post", "/v1/subscriptions/{id}/invoice_items"],
  ["post", "/v1/subscriptions/{id}/invoices"],
  ["get", "/v1/subscriptions/{id}/invoices"],
  ["get", "/v1/subscriptions/{id}/events"],
  ["get", "/v1/invoices/{id}"],
  ["get", "/v1/invoices/{id}/payments"],
  ["post", "/v1/invoices/{id}/pay"],
  ["post", "/v1/invoices/{id}/payments"],
  ["post", "/v1/invoices/{id}/void"],
  ["post", "/v1/invoices/{id}/mark_uncollectible"],
  ["post", "/v1/test_clocks"],
  ["get", "/v1/test_clocks/{id}"],
  ["post", "/v1/test_clocks/{id}/advance"],
  ["post", "/v1/webhook_endpoints"],
  ["get", "/v1/webhook_endpoints"],
  ["get", "/v1/webhook_endpoints/{id}"],
  ["post", "/v1/webhook_endpoints/{id}"],
  ["delete", "/v1/webhook_endpoints/{id}"],
  ["get", "/v1/admin/emails"],
  ["get", "/v1/admin/dead_letters"],
];

async function document(): Promise<OpenApiDoc> {
  const res = await api<OpenApiDoc>("GET", "/v1/openapi.json", undefined, { key: null });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  return res.body;
}

describe("GET /v1/openapi.json", () => {
  it("is OpenAPI 3.1", async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.info.title).toBe("Billify API");
    expect(doc.info.version).toEqual(expect.any(String));
  });

  it("lists every implemented route of API.md §3 with its method, in {id} syntax", async () => {
    const doc = await document();
    for (const [method, path] of ROUTES) {
      expect(doc.paths[path], path).toBeDefined();
      expect(doc.paths[path]![method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
    for (const path of Object.keys(doc.paths)) {
      expect(path, path).not.toMatch(/:\w+/);
      expect(path.startsWith("/v1/"), path).toBe(true);
    }
  });

  it("lists no operation the router does not serve", async () => {
    const doc = await document();
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ["get", "post", "patch", "put", "delete"].includes(m))
        .map((m) => `${m} ${path}`),
    );
    const known = new Set([...ROUTES.map(([m, p]) => `${m} ${p}`), "post /v1/gateway/stripe/webhook"]);
    for (const op of listed) expect(known.has(op), op).toBe(true);
  });

  it("declares path parameters, the Idempotency-Key header on POSTs and JSON request bodies", async () => {
    const doc = await document();
    for (const [method, path] of ROUTES) {
      const op = doc.paths[path]![method]!;
      if (path.includes("{id}")) {
        expect(op.parameters?.find((p) => p.name === "id" && p.in === "path")?.required, `${method} ${path}`).toBe(true);
      }
      if (method === "post") {
        const header = op.parameters?.find((p) => p.in === "header" && p.name.toLowerCase() === "idempotency-key");
        expect(header, `${method} ${path}`).toBeDefined();
      }
      if (method === "post" || method === "patch") {
        expect(op.requestBody?.content?.["application/json"]?.schema, `${method} ${path}`).toBeDefined();
      }
      for (const status of ["401", "500"]) {
        expect(op.responses?.[status]?.content?.["application/json"]?.schema, `${method} ${path} ${status}`).toBeDefined();
      }
    }
    expect(doc.paths["/v1/plans"]!.post!.responses?.["201"]?.content?.["application/json"]?.schema?.$ref).toBe("#/components/schemas/Plan");
    expect(doc.paths["/v1/plans/{id}"]!.get!.responses?.["200"]?.content?.["application/json"]?.schema?.$ref).toBe("#/components/schemas/Plan");
    expect(doc.paths["/v1/subscriptions"]!.post!.responses?.["201"]?.content?.["application/json"]?.schema?.$ref).toBe(
      "#/components/schemas/Subscription",
    );
  });

  it("declares the bearer security scheme every operation names", async () => {
    const doc = await document();
    const schemes = doc.components.securitySchemes ?? {};
    expect(schemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const requirement of op.security ?? []) {
          for (const name of Object.keys(requirement)) expect(schemes[name], `${method} ${path} names ${name}`).toBeDefined();
        }
      }
    }
    expect(doc.paths["/v1/plans"]!.get!.security).toEqual([{ bearerAuth: [] }]);
  });

  it("has the object schemas of API.md §2 with their required fields", async () => {
    const doc = await document();
    const schemas = doc.components.schemas;
    const fields: Record<string, string[]> = {
      Plan: ["id", "object", "name", "currency", "amount", "interval", "interval_count", "trial_days", "active", "metadata", "created"],
      Customer: ["id", "object", "email", "name", "payment_method", "test_clock", "metadata", "created"],
      Subscription: [
        "id", "object", "customer", "plan", "quantity", "status", "current_period_start", "current_period_end",
        "billing_cycle_anchor", "trial_start", "trial_end", "cancel_at_period_end", "canceled_at", "ended_at",
        "credit_balance", "latest_invoice", "test_clock", "metadata", "created",
      ],
      Invoice: [
        "id", "object", "number", "subscription", "customer", "status", "currency", "lines", "subtotal", "total",
        "credit_applied", "amount_due", "amount_paid", "amount_remaining", "attempt_count", "next_payment_attempt",
        "period_start", "period_end", "billing_reason", "created", "finalized_at", "paid_at",
      ],
    };
    for (const [name, required] of Object.entries(fields)) {
      const schema = schemas[name];
      expect(schema, name).toBeDefined();
      expect(schema!.type).toBe("object");
      for (const field of required) {
        expect(schema!.properties?.[field], `${name}.${field}`).toBeDefined();
        expect(schema!.required, `${name}.${field}`).toContain(field);
      }
    }
    expect(schemas.Error).toBeDefined();
  });

  it("documents strict request bodies (unknown fields are refused)", async () => {
    const doc = await document();
    const create = doc.components.schemas.PlanCreate as { additionalProperties?: unknown } | undefined;
    expect(create?.additionalProperties).toBe(false);
  });
});

describe("GET /docs", () => {
  it("returns HTML that links the OpenAPI document, without a key", async () => {
    const res = await api<string>("GET", "/docs", undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(typeof res.body).toBe("string");
    expect(res.body).toMatch(/^<!doctype html>/i);
    expect(res.body).toContain("/v1/openapi.json");
    expect(res.body).toContain("/v1/subscriptions/{id}/cancel");
  });

  it("/ redirects to /docs", async () => {
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request("http://billify.test/", { redirect: "manual" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe("/docs");
  });
});
