import { describe, expect, it } from "vitest";
import { API_KEY, api, serviceUrl } from "./client";

describe("issue 11 over real HTTP (what curl does)", () => {
  it("answers a GET of a well-formed unknown id with 404 in the envelope", async () => {
    for (const path of [
      "/v1/subscriptions/sub_01JD00000000007ZZZZZZZZZZZZZ",
      "/v1/invoices/in_01JD00000000007ZZZZZZZZZZZZZ",
      "/v1/test_clocks/clock_01JD00000000007ZZZZZZZZZZZZZ",
    ]) {
      const { status, json } = await api("GET", path);
      expect([path, status, json.error.type]).toEqual([path, 404, "not_found"]);
    }
  });

  it("refuses a body that is not UTF-8 with 400 invalid_encoding (curl --data-binary)", async () => {
    const body = new Uint8Array([
      ...new TextEncoder().encode('{"email":"x'),
      0xc3,
      0x28,
      ...new TextEncoder().encode('@example.com"}'),
    ]);
    const response = await fetch(`${serviceUrl()}/v1/customers`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({
      type: "invalid_request_error",
      code: "invalid_encoding",
    });
  });

  it("scopes an Idempotency-Key to the account: another endpoint under the same key is 422", async () => {
    const key = `http-scope-${crypto.randomUUID()}`;
    const first = await api("POST", "/v1/customers", {
      body: { email: "scope@example.com" },
      headers: { "idempotency-key": key },
    });
    expect(first.status).toBe(201);
    const replay = await api("POST", "/v1/customers", {
      body: { email: "scope@example.com" },
      headers: { "idempotency-key": key },
    });
    expect([replay.status, replay.headers.get("idempotent-replayed"), replay.json.id]).toEqual([
      201,
      "true",
      first.json.id,
    ]);
    const other = await api("POST", "/v1/test_clocks", {
      body: { frozen_time: "2026-01-01T00:00:00Z" },
      headers: { "idempotency-key": key },
    });
    expect([other.status, other.json.error.type]).toEqual([422, "idempotency_error"]);
  });

  it("answers an advance that finishes within the request with ready", async () => {
    const clock = await api("POST", "/v1/test_clocks", { body: { frozen_time: "2026-01-01T00:00:00Z" } });
    const advanced = await api("POST", `/v1/test_clocks/${clock.json.id}/advance`, {
      body: { frozen_time: "2026-02-01T00:00:00Z" },
    });
    expect([advanced.status, advanced.json.status, advanced.json.frozen_time]).toEqual([
      200,
      "ready",
      "2026-02-01T00:00:00Z",
    ]);
  });
});
