import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/actors/env";
import { createApp } from "../../src/api/app";
import { configuredKeys, keyIdOf } from "../../src/lib/keys";
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

describe("several keys per role, and read-only keys (rotation)", () => {
  const rotated = {
    BILLIFY_API_KEY: undefined,
    BILLIFY_ADMIN_KEY: undefined,
    BILLIFY_API_KEYS: " sk_api_new , sk_api_old ",
    BILLIFY_ADMIN_KEYS: "sk_admin_new,sk_admin_old",
    BILLIFY_READ_KEYS: "rk_support",
  };
  const as = (key: string, path: string, init: RequestInit = {}) =>
    callWithEnv(rotated, path, { ...init, headers: { ...init.headers, Authorization: `Bearer ${key}` } });
  const codeOf = (res: { body: unknown }) => (res.body as { error: { code: string } }).error.code;

  it("accepts every key of a comma-separated list, blanks trimmed", async () => {
    for (const key of ["sk_api_new", "sk_api_old", "sk_admin_new", "sk_admin_old", "rk_support"]) {
      expect([key, (await as(key, "/v1/plans")).status]).toEqual([key, 200]);
    }
    expect((await as("sk_api_new,sk_api_old", "/v1/plans")).status).toBe(401);
    expect((await as(API_KEY, "/v1/plans")).status).toBe(401);
  });

  it("keeps the single-key variables working beside the lists", async () => {
    const both = { ...rotated, BILLIFY_API_KEY: "sk_single" };
    const res = await callWithEnv(both, "/v1/plans", { headers: { Authorization: "Bearer sk_single" } });
    expect(res.status).toBe(200);
  });

  it("opens admin routes to every admin key and to no API key", async () => {
    expect((await as("sk_admin_old", "/v1/admin/no-such-route")).status).toBe(404);
    const api = await as("sk_api_old", "/v1/admin/no-such-route");
    expect([api.status, codeOf(api)]).toEqual([403, "admin_key_required"]);
  });

  it("lets a read key GET (admin reads included) and refuses its writes with 403 read_only_key", async () => {
    expect((await as("rk_support", "/v1/admin/dead_letters")).status).toBe(200);
    const post = await as("rk_support", "/v1/customers", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "x@example.com" }),
    });
    expect([post.status, codeOf(post), (post.body as { error: { type: string } }).error.type]).toEqual([
      403,
      "read_only_key",
      "permission_error",
    ]);
    const del = await as("rk_support", "/v1/webhook_endpoints/we_01JD00000000007ZZZZZZZZZZZZZ", { method: "DELETE" });
    expect([del.status, codeOf(del)]).toEqual([403, "read_only_key"]);
  });
});

describe("key ids", () => {
  it("names a key by the first 12 hex digits of its SHA-256, never the key", async () => {
    // printf %s sk_test_local | sha256sum
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(API_KEY)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(await keyIdOf(API_KEY)).toBe(`key_${digest.slice(0, 12)}`);
    expect(await keyIdOf(API_KEY)).not.toContain(API_KEY);
    expect(await keyIdOf(ADMIN_KEY)).not.toBe(await keyIdOf(API_KEY));
  });

  it("lists configured keys admin first, without duplicates", () => {
    expect(
      configuredKeys({ ...env, BILLIFY_ADMIN_KEYS: "a1,a2", BILLIFY_API_KEYS: "k1,a1", BILLIFY_READ_KEYS: "" }).map(
        (k) => `${k.role}:${k.key}`,
      ),
    ).toEqual([`admin:${ADMIN_KEY}`, "admin:a1", "admin:a2", `api:${API_KEY}`, "api:k1"]);
  });
});
