import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import { api } from "../helpers";

interface ErrorSchema {
  required?: string[];
  properties?: { error?: { properties?: { type?: { enum?: string[] }; code?: { enum?: string[] } } } };
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  security?: Record<string, string[]>[];
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { type?: string; properties?: Record<string, unknown>; required?: string[] }>;
    securitySchemes?: Record<string, { type: string; scheme?: string }>;
  };
}

/** Every operation the router serves under /v1 (middleware and the document itself aside), as `method {path}`. */
function servedOperations(): string[] {
  const served = new Set<string>();
  for (const route of createApp().routes) {
    if (
      route.method === "ALL" ||
      route.path.endsWith("*") ||
      !route.path.startsWith("/v1/") ||
      route.path === "/v1/openapi.json"
    )
      continue;
    served.add(`${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`);
  }
  return [...served].sort();
}

function documentedOperations(doc: OpenApiDoc): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([m]) => ["get", "post", "patch", "put", "delete"].includes(m))
      .map(([m, op]) => [`${m} ${path}`, op] as [string, Operation]),
  );
}

/** A few routes of the API that must be there; the generic checks below cover every route the router serves. */
const ROUTES: [method: string, path: string][] = [
  ["post", "/v1/plans"],
  ["get", "/v1/plans"],
  ["patch", "/v1/plans/{id}"],
  ["post", "/v1/subscriptions/{id}/cancel"],
  ["get", "/v1/invoices/{id}/payments"],
  ["post", "/v1/test_clocks/{id}/advance"],
  ["get", "/v1/customers"],
  ["get", "/v1/admin/subscriptions"],
  ["get", "/v1/admin/metrics"],
  ["post", "/v1/admin/live_tokens"],
  ["get", "/v1/customers/{id}/events"],
  ["post", "/v1/webhook_endpoints"],
  ["get", "/v1/webhook_endpoints"],
  ["get", "/v1/webhook_endpoints/{id}"],
  ["post", "/v1/webhook_endpoints/{id}"],
  ["delete", "/v1/webhook_endpoints/{id}"],
  ["get", "/v1/admin/emails"],
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

  it("lists every implemented route of the API with its method, in {id} syntax", async () => {
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

  it("documents exactly the operations the router serves", async () => {
    const doc = await document();
    expect(
      documentedOperations(doc)
        .map(([op]) => op)
        .sort(),
    ).toEqual(servedOperations());
  });

  it("gives every operation a unique, URL-safe operationId, a summary and a tag", async () => {
    const doc = await document();
    const ids = new Set<string>();
    for (const [name, op] of documentedOperations(doc)) {
      expect(op.operationId, name).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(ids.has(op.operationId!), `${name}: ${op.operationId} twice`).toBe(false);
      ids.add(op.operationId!);
      expect(op.summary, name).toEqual(expect.any(String));
      expect(op.tags?.length, name).toBe(1);
    }
  });

  it("lists every error an operation can answer, each with its type and code enums", async () => {
    const doc = await document();
    for (const [name, op] of documentedOperations(doc)) {
      const statuses = Object.keys(op.responses ?? {});
      const authenticated = (op.security ?? []).length > 0;
      const expected = new Set(["500"]);
      if (authenticated) expected.add("401");
      if ((op.parameters ?? []).some((p) => p.in !== "header") || op.requestBody !== undefined) expected.add("400");
      if (name.includes("{")) expected.add("404");
      if (op.requestBody && authenticated) for (const status of ["413", "415"]) expected.add(status);
      if (name.startsWith("post ") && authenticated) for (const status of ["409", "422"]) expected.add(status);
      for (const status of expected) expect(statuses, `${name} answers ${status}`).toContain(status);
      expect(
        statuses.some((s) => /^2\d\d$/.test(s)),
        `${name} has a success response`,
      ).toBe(true);
      for (const status of statuses.filter((s) => /^[45]\d\d$/.test(s))) {
        const ref = op.responses![status]!.content?.["application/json"]?.schema?.$ref;
        expect(ref, `${name} ${status}`).toBe(`#/components/schemas/Error${status}`);
        const schema = doc.components.schemas[`Error${status}`] as ErrorSchema | undefined;
        const error = schema?.properties?.error?.properties;
        expect(error?.type?.enum?.length, `${name} ${status} type enum`).toBe(1);
        expect(error?.code?.enum?.length, `${name} ${status} code enum`).toBeGreaterThan(0);
        expect(schema?.required, `${name} ${status}`).toEqual(["error"]);
      }
    }
  });

  it("declares Idempotency-Key on every POST and Idempotent-Replayed on its success response", async () => {
    const doc = await document();
    for (const [name, op] of documentedOperations(doc)) {
      if (!name.startsWith("post ") || (op.security ?? []).length === 0) continue;
      const header = op.parameters?.find((p) => p.in === "header" && p.name === "Idempotency-Key");
      expect(header, name).toMatchObject({ required: false, schema: { maxLength: 255 } });
      const success = Object.entries(op.responses ?? {}).find(([s]) => /^2\d\d$/.test(s))![1] as {
        headers?: Record<string, unknown>;
      };
      expect(success.headers?.["Idempotent-Replayed"], name).toBeDefined();
    }
  });

  it("marks a body optional exactly where every field is optional", async () => {
    const doc = await document();
    const optional = [
      "post /v1/subscriptions/{id}/cancel",
      "post /v1/subscriptions/{id}/resume",
      "post /v1/subscriptions/{id}/invoices",
      "post /v1/invoices/{id}/pay",
      "post /v1/invoices/{id}/void",
      "post /v1/invoices/{id}/mark_uncollectible",
      "post /v1/customers",
      "patch /v1/plans/{id}",
      "patch /v1/customers/{id}",
    ];
    const required = [
      "post /v1/plans",
      "post /v1/subscriptions",
      "post /v1/subscriptions/{id}/change",
      "post /v1/test_clocks",
      "post /v1/invoices/{id}/payments",
    ];
    const ops = new Map(documentedOperations(doc));
    for (const name of optional) expect(ops.get(name)?.requestBody?.required, name).toBe(false);
    for (const name of required) expect(ops.get(name)?.requestBody?.required, name).toBe(true);
  });

  it("gives every time field format date-time, and metadata its limits", async () => {
    const doc = await document();
    let times = 0;
    for (const [schemaName, schema] of Object.entries(doc.components.schemas)) {
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        const variants = ((property as { anyOf?: unknown[] }).anyOf ?? [property]) as {
          type?: string;
          format?: string;
        }[];
        const strings = variants.filter((v) => v.type === "string");
        if (
          strings.length > 0 &&
          /^(created|frozen_time|next_payment_attempt|billing_cycle_anchor)$|_(at|start|end)$/.test(field)
        ) {
          times += 1;
          for (const v of strings) expect(v.format, `${schemaName}.${field}`).toBe("date-time");
        }
      }
    }
    expect(times).toBeGreaterThanOrEqual(18);
    expect(doc.components.schemas.Metadata).toMatchObject({
      maxProperties: 50,
      propertyNames: { minLength: 1, maxLength: 40 },
      additionalProperties: { maxLength: 500 },
    });
  });

  it("declares path parameters and JSON request bodies", async () => {
    const doc = await document();
    for (const [name, op] of documentedOperations(doc)) {
      for (const param of name.match(/\{(\w+)\}/g) ?? []) {
        const id = param.slice(1, -1);
        expect(op.parameters?.find((p) => p.name === id && p.in === "path")?.required, name).toBe(true);
      }
      if ((name.startsWith("post ") || name.startsWith("patch ")) && (op.security ?? []).length > 0) {
        expect(op.requestBody?.content?.["application/json"]?.schema, name).toBeDefined();
      }
    }
    expect(doc.paths["/v1/plans"]!.post!.responses?.["201"]?.content?.["application/json"]?.schema?.$ref).toBe(
      "#/components/schemas/Plan",
    );
    expect(doc.paths["/v1/plans/{id}"]!.get!.responses?.["200"]?.content?.["application/json"]?.schema?.$ref).toBe(
      "#/components/schemas/Plan",
    );
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
          for (const name of Object.keys(requirement))
            expect(schemes[name], `${method} ${path} names ${name}`).toBeDefined();
        }
      }
    }
    expect(doc.paths["/v1/plans"]!.get!.security).toEqual([{ bearerAuth: [] }]);
  });

  it("has the object schemas of docs/billing-rules.md, Objects with their required fields", async () => {
    const doc = await document();
    const schemas = doc.components.schemas;
    const fields: Record<string, string[]> = {
      Plan: [
        "id",
        "object",
        "name",
        "currency",
        "amount",
        "interval",
        "interval_count",
        "trial_days",
        "active",
        "metadata",
        "created",
      ],
      Customer: ["id", "object", "email", "name", "payment_method", "test_clock", "metadata", "created"],
      Subscription: [
        "id",
        "object",
        "customer",
        "plan",
        "quantity",
        "status",
        "current_period_start",
        "current_period_end",
        "billing_cycle_anchor",
        "trial_start",
        "trial_end",
        "cancel_at_period_end",
        "canceled_at",
        "ended_at",
        "credit_balance",
        "latest_invoice",
        "test_clock",
        "metadata",
        "created",
      ],
      Invoice: [
        "id",
        "object",
        "number",
        "subscription",
        "customer",
        "status",
        "currency",
        "lines",
        "subtotal",
        "total",
        "credit_applied",
        "amount_due",
        "amount_paid",
        "amount_remaining",
        "attempt_count",
        "next_payment_attempt",
        "period_start",
        "period_end",
        "billing_reason",
        "created",
        "finalized_at",
        "paid_at",
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
    expect(schemas.Error400).toBeDefined();
  });

  it("documents strict request bodies (unknown fields are refused)", async () => {
    const doc = await document();
    const create = doc.components.schemas.PlanCreate as { additionalProperties?: unknown } | undefined;
    expect(create?.additionalProperties).toBe(false);
  });
});

describe("GET / (the docs page itself is a static asset: test/http/docs.test.ts)", () => {
  it("/ redirects to /docs", async () => {
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request("http://billify.test/", { redirect: "manual" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe("/docs");
  });
});
