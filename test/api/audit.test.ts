import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AUDIT_PREFIX, AUDIT_TTL_SECONDS } from "../../src/api/audit";
import { keyIdOf } from "../../src/lib/keys";
import { ADMIN_KEY, API_KEY, api, ok } from "../helpers";
import { eventually } from "../notifications/receiver";

const requestsOf = (object: string) =>
  ok("GET", `/v1/admin/requests?object=${object}&limit=100`, undefined, { key: ADMIN_KEY }).then((page) => page.data);

describe("audit trail", () => {
  it("records each write to an object with its key id, method, path, idempotency key and status, newest first", async () => {
    const idem = `audit-${crypto.randomUUID()}`;
    const customer = await ok(
      "POST",
      "/v1/customers",
      { email: "audit@example.com" },
      { headers: { "Idempotency-Key": idem } },
    );
    await ok("POST", "/v1/customers", { email: "audit@example.com" }, { headers: { "Idempotency-Key": idem } });
    const refused = await api("PATCH", `/v1/customers/${customer.id}`, { email: 3 });
    expect(refused.status).toBe(400);
    await ok("GET", `/v1/customers/${customer.id}`);

    const records = await eventually(
      () => requestsOf(customer.id),
      (found) => found.length >= 3,
    );
    const keyId = await keyIdOf(API_KEY);
    expect(records.map((r: any) => [r.method, r.path, r.status, r.idempotency_key, r.idempotent_replayed])).toEqual([
      ["PATCH", `/v1/customers/${customer.id}`, 400, null, false],
      ["POST", "/v1/customers", 201, idem, true],
      ["POST", "/v1/customers", 201, idem, false],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({ object: "request", key: keyId, key_role: "api", object_id: customer.id });
      expect(record.id).toMatch(/^req_[0-9a-f]{32}$/);
      expect(JSON.stringify(record)).not.toContain(API_KEY);
    }
  });

  it("records admin writes and refused writes by a valid key, not requests without one", async () => {
    const sub = `sub_01JD${crypto
      .randomUUID()
      .replaceAll("-", "")
      .slice(0, 22)
      .toUpperCase()
      .replace(/[ILOU]/g, "0")}`;
    const refused = await api("POST", "/v1/admin/live_tokens", { subscription: sub }, { key: API_KEY });
    expect(refused.status).toBe(403);
    const anonymous = await api("DELETE", "/v1/webhook_endpoints/we_01JD00000000007ZZZZZZZZZZZZZ", undefined, {
      key: null,
    });
    expect(anonymous.status).toBe(401);
    const hook = await ok(
      "POST",
      "/v1/webhook_endpoints",
      { url: "https://example.com/h", enabled_events: ["*"] },
      { key: ADMIN_KEY },
    );
    await ok("DELETE", `/v1/webhook_endpoints/${hook.id}`, undefined, { key: ADMIN_KEY });
    const records = await eventually(
      () => requestsOf(hook.id),
      (found) => found.length >= 2,
    );
    expect(records.map((r: any) => [r.method, r.status, r.key_role])).toEqual([
      ["DELETE", 200, "admin"],
      ["POST", 201, "admin"],
    ]);
    expect(records[0].key).toBe(await keyIdOf(ADMIN_KEY));
    const all = await ok("GET", "/v1/admin/requests?limit=100", undefined, { key: ADMIN_KEY });
    expect(all.data.some((r: any) => r.path === "/v1/admin/live_tokens" && r.status === 403)).toBe(true);
    expect(all.data.some((r: any) => r.path === "/v1/webhook_endpoints/we_01JD00000000007ZZZZZZZZZZZZZ")).toBe(false);
  });

  it("keeps records 30 days (KV expiry), and only admin keys read them", async () => {
    await ok("POST", "/v1/customers", { email: "ttl@example.com" });
    const listed = await eventually(
      () => env.BILLIFY_KV.list({ prefix: AUDIT_PREFIX, limit: 1 }),
      (page) => page.keys.length > 0,
    );
    const expiration = listed.keys[0]!.expiration!;
    expect(expiration - Date.now() / 1000).toBeGreaterThan(AUDIT_TTL_SECONDS - 120);
    expect(expiration - Date.now() / 1000).toBeLessThanOrEqual(AUDIT_TTL_SECONDS + 1);
    expect((await api("GET", "/v1/admin/requests")).status).toBe(403);
    const bad = await api("GET", "/v1/admin/requests?object=a/b", undefined, { key: ADMIN_KEY });
    expect([bad.status, bad.body.error.param]).toEqual([400, "object"]);
  });
});
