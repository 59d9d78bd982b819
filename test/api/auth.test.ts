import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/actors/env";
import { createApp } from "../../src/api/app";
import { ADMIN_KEY, API_KEY, api } from "../helpers";
import { expectError } from "./expect";

/** Calls a fresh app directly with the given environment (to test configuration). */
async function callWithEnv(overrides: Partial<Env>, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const response = await createApp().fetch(
    new Request(`http://billify.test${path}`, init),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body, headers: response.headers };
}

describe("authentication", () => {
  it("refuses a request without an Authorization header with 401 authentication_error", async () => {
    const res = await api("GET", "/v1/plans", undefined, { key: null });
    expectError(res, 401, "authentication_error");
  });

  it("refuses a POST without a key before looking at its body", async () => {
    const res = await api("POST", "/v1/customers", undefined, { key: null, raw: "{not json" });
    expectError(res, 401, "authentication_error");
  });

  it("refuses a wrong key with 401", async () => {
    const res = await api("GET", "/v1/plans", undefined, { key: "sk_test_wrong" });
    expectError(res, 401, "authentication_error");
  });

  it("refuses a key that is a prefix or an extension of the real one", async () => {
    expectError(await api("GET", "/v1/plans", undefined, { key: API_KEY.slice(0, -1) }), 401, "authentication_error");
    expectError(await api("GET", "/v1/plans", undefined, { key: `${API_KEY}x` }), 401, "authentication_error");
  });

  it("refuses a scheme other than Bearer, and an empty bearer token", async () => {
    expectError(
      await api("GET", "/v1/plans", undefined, {
        key: null,
        headers: { Authorization: `Basic ${btoa(`${API_KEY}:`)}` },
      }),
      401,
      "authentication_error",
    );
    expectError(
      await api("GET", "/v1/plans", undefined, { key: null, headers: { Authorization: API_KEY } }),
      401,
      "authentication_error",
    );
    expectError(
      await api("GET", "/v1/plans", undefined, { key: null, headers: { Authorization: "Bearer " } }),
      401,
      "authentication_error",
    );
  });

  it("accepts the API key on normal routes", async () => {
    const res = await api("GET", "/v1/plans");
    expect(res.status).toBe(200);
    expect(res.body.object).toBe("list");
  });

  it("answers 401 (not 404) for an unknown route without a key", async () => {
    expectError(await api("GET", "/v1/nothing-here", undefined, { key: null }), 401, "authentication_error");
  });

  it("refuses the API key on /v1/admin/* with 403 permission_error", async () => {
    expectError(await api("GET", "/v1/admin/subscriptions"), 403, "permission_error");
    expectError(await api("GET", "/v1/admin/metrics"), 403, "permission_error");
    expectError(await api("GET", "/v1/admin/anything/at/all"), 403, "permission_error");
    expectError(await api("POST", "/v1/admin/anything", {}), 403, "permission_error");
  });

  it("refuses /v1/admin/* without a key or with a wrong key with 401, not 403", async () => {
    expectError(await api("GET", "/v1/admin/anything", undefined, { key: null }), 401, "authentication_error");
    expectError(
      await api("GET", "/v1/admin/anything", undefined, { key: "sk_admin_wrong" }),
      401,
      "authentication_error",
    );
  });

  it("lets the admin key through to admin routes (an unknown one is then 404)", async () => {
    expectError(await api("GET", "/v1/admin/no-such-route", undefined, { key: ADMIN_KEY }), 404, "not_found");
  });

  it("lets the admin key open normal routes", async () => {
    const list = await api("GET", "/v1/plans", undefined, { key: ADMIN_KEY });
    expect(list.status).toBe(200);
    expect(list.body.object).toBe("list");
    const created = await api("POST", "/v1/customers", { email: "admin@example.com" }, { key: ADMIN_KEY });
    expect(created.status).toBe(201);
    expect(created.body.object).toBe("customer");
    const read = await api("GET", `/v1/customers/${created.body.id}`, undefined, { key: ADMIN_KEY });
    expect(read.status).toBe(200);
    expect(read.body.email).toBe("admin@example.com");
  });

  it("accepts the scheme name in any case", async () => {
    const res = await api("GET", "/v1/plans", undefined, {
      key: null,
      headers: { Authorization: `bearer ${API_KEY}` },
    });
    expect(res.status).toBe(200);
  });

  it("serves /v1/openapi.json without a key", async () => {
    const res = await api("GET", "/v1/openapi.json", undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1/);
  });
});

describe("no key configured: fail closed", () => {
  const noKeys = { BILLIFY_API_KEY: undefined, BILLIFY_ADMIN_KEY: undefined };

  it("refuses every request with 401, whatever key is presented", async () => {
    for (const key of [API_KEY, ADMIN_KEY, "undefined", "null", "anything"]) {
      const res = await callWithEnv(noKeys, "/v1/plans", { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status, key).toBe(401);
      expect((res.body as { error: { type: string } }).error.type).toBe("authentication_error");
    }
    const admin = await callWithEnv(noKeys, "/v1/admin/subscriptions", {
      headers: { Authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(admin.status).toBe(401);
    expect((admin.body as { error: { type: string } }).error.type).toBe("authentication_error");
    const post = await callWithEnv(noKeys, "/v1/customers", {
      method: "POST",
      headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(post.status).toBe(401);
    const anonymous = await callWithEnv(noKeys, "/v1/plans");
    expect(anonymous.status).toBe(401);
  });

  it("treats keys set to the empty string as not configured", async () => {
    const res = await callWithEnv({ BILLIFY_API_KEY: "", BILLIFY_ADMIN_KEY: "" }, "/v1/plans", {
      headers: { Authorization: "Bearer " },
    });
    expect(res.status).toBe(401);
    const res2 = await callWithEnv({ BILLIFY_API_KEY: "", BILLIFY_ADMIN_KEY: "" }, "/v1/plans", {
      headers: { Authorization: "Bearer x" },
    });
    expect(res2.status).toBe(401);
    expect((res2.body as { error: { type: string } }).error.type).toBe("authentication_error");
  });

  it("with only the admin key configured, the admin key works and nothing else does", async () => {
    const onlyAdmin = { BILLIFY_API_KEY: undefined };
    expect(
      (await callWithEnv(onlyAdmin, "/v1/plans", { headers: { Authorization: `Bearer ${ADMIN_KEY}` } })).status,
    ).toBe(200);
    expect(
      (await callWithEnv(onlyAdmin, "/v1/plans", { headers: { Authorization: `Bearer ${API_KEY}` } })).status,
    ).toBe(401);
  });

  it("still serves the OpenAPI document, which holds no data", async () => {
    const res = await callWithEnv(noKeys, "/v1/openapi.json");
    expect(res.status).toBe(200);
  });
});
