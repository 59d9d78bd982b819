/**
 * Issue 20 (operating it safely) over real HTTP: a `wrangler dev` of its own, started with the
 * operator's configuration under test (several keys per role, a read-only key), restarted on
 * the same storage with a key removed, as a rotation does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Service } from "../../scripts/service.mjs";
import { startService } from "../../scripts/service.mjs";

const OLD_KEY = "sk_test_ops_old";
const NEW_KEY = "sk_test_ops_new";
const ADMIN = "sk_admin_ops";
const READ_KEY = "rk_test_ops";
const KEYS = {
  BILLIFY_API_KEY: "",
  BILLIFY_ADMIN_KEY: "",
  BILLIFY_API_KEYS: `${NEW_KEY},${OLD_KEY}`,
  BILLIFY_ADMIN_KEYS: ADMIN,
  BILLIFY_READ_KEYS: READ_KEY,
};

let state = "";
let service: Service;

async function call(method: string, path: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), "billify-ops-"));
  service = await startService({ persistTo: state, vars: KEYS });
});
afterAll(async () => {
  await service?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

describe("API keys: rotation without downtime, read-only keys", () => {
  it("serves both keys of a rotation, then only the new one once the old is removed", async () => {
    const created = await call("POST", "/v1/customers", OLD_KEY, { email: "rotate@example.com" });
    expect(created.status).toBe(201);
    const viaNew = await call("GET", `/v1/customers/${created.json.id}`, NEW_KEY);
    expect([viaNew.status, viaNew.json.email]).toEqual([200, "rotate@example.com"]);

    // Step 3 of README "Rotating API keys": redeploy without the old key. Same storage.
    await service.stop();
    service = await startService({ persistTo: state, vars: { ...KEYS, BILLIFY_API_KEYS: NEW_KEY } });
    const old = await call("GET", `/v1/customers/${created.json.id}`, OLD_KEY);
    expect([old.status, old.json.error.type]).toEqual([401, "authentication_error"]);
    const still = await call("GET", `/v1/customers/${created.json.id}`, NEW_KEY);
    expect([still.status, still.json.id]).toEqual([200, created.json.id]);
  });

  it("lets a read-only key read everything (admin lists too) and write nothing", async () => {
    expect((await call("GET", "/v1/customers", READ_KEY)).status).toBe(200);
    expect((await call("GET", "/v1/admin/dead_letters", READ_KEY)).status).toBe(200);
    const write = await call("POST", "/v1/customers", READ_KEY, { email: "nope@example.com" });
    expect([write.status, write.json.error.type, write.json.error.code]).toEqual([
      403,
      "permission_error",
      "read_only_key",
    ]);
    const admin = await call("POST", "/v1/admin/live_tokens", READ_KEY, { subscription: "sub_x" });
    expect([admin.status, admin.json.error.code]).toEqual([403, "read_only_key"]);
  });
});
