import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/api/app";
import { API_KEY, api, createCustomer, createPlan, ok, uniquePlanId } from "../helpers";
import { expectError } from "./expect";

const validPlan = () => ({
  id: uniquePlanId("bodies"),
  name: "Basic",
  currency: "usd",
  amount: 1000,
  interval: "month",
});

describe("request bodies", () => {
  it("answers malformed JSON with 400 invalid_request_error", async () => {
    for (const raw of ["{", '{"name": }', "not json", "{'single': 'quotes'}", '{"a":1,}']) {
      const res = await api("POST", "/v1/plans", undefined, { raw });
      expectError(res, 400, "invalid_request_error");
    }
  });

  it("answers malformed JSON on PATCH with 400", async () => {
    const plan = await createPlan();
    expectError(
      await api("PATCH", `/v1/plans/${plan.id}`, undefined, { raw: '{"name":' }),
      400,
      "invalid_request_error",
    );
  });

  it("answers an unknown field with 400 naming it", async () => {
    const err = expectError(
      await api("POST", "/v1/plans", { ...validPlan(), colour: "red" }),
      400,
      "invalid_request_error",
      "colour",
    );
    expect(err.message).toContain("colour");
    expectError(
      await api("POST", "/v1/customers", { email: "a@example.com", nickname: "A" }),
      400,
      "invalid_request_error",
      "nickname",
    );
  });

  it("answers a missing required field with 400 naming it", async () => {
    const { name: _name, ...withoutName } = validPlan();
    expectError(await api("POST", "/v1/plans", withoutName), 400, "invalid_request_error", "name");
    const { amount: _amount, ...withoutAmount } = validPlan();
    expectError(await api("POST", "/v1/plans", withoutAmount), 400, "invalid_request_error", "amount");
    expectError(await api("POST", "/v1/subscriptions", { plan: "x" }), 400, "invalid_request_error", "customer");
  });

  it("answers a wrong type with 400 naming the field", async () => {
    expectError(
      await api("POST", "/v1/plans", { ...validPlan(), amount: "1000" }),
      400,
      "invalid_request_error",
      "amount",
    );
    expectError(
      await api("POST", "/v1/plans", { ...validPlan(), amount: 10.5 }),
      400,
      "invalid_request_error",
      "amount",
    );
    expectError(
      await api("POST", "/v1/plans", { ...validPlan(), active: "yes" }),
      400,
      "invalid_request_error",
      "active",
    );
    expectError(
      await api("POST", "/v1/plans", { ...validPlan(), interval: "fortnight" }),
      400,
      "invalid_request_error",
      "interval",
    );
    expectError(await api("POST", "/v1/plans", { ...validPlan(), name: 42 }), 400, "invalid_request_error", "name");
    expectError(
      await api("POST", "/v1/plans", { ...validPlan(), metadata: { a: 1 } }),
      400,
      "invalid_request_error",
      "metadata.a",
    );
    expectError(
      await api("POST", "/v1/plans", { ...validPlan(), currency: "USD" }),
      400,
      "invalid_request_error",
      "currency",
    );
  });

  it("answers a JSON array, a string, a number or null as the body with 400", async () => {
    for (const raw of [JSON.stringify([validPlan()]), "[]", '"plan"', "42", "null", "true"]) {
      const res = await api("POST", "/v1/plans", undefined, { raw });
      expect(res.status, raw).toBe(400);
      expect(res.body.error.type, raw).toBe("invalid_request_error");
    }
  });

  it("answers a body over 64 KiB with 413 invalid_request_error", async () => {
    const base = JSON.stringify({ ...validPlan(), name: "" });
    const padding = 65_537 - base.length;
    const raw = base.replace('"name":""', `"name":"${"x".repeat(padding)}"`);
    expect(new TextEncoder().encode(raw).length).toBe(65_537);
    expectError(await api("POST", "/v1/plans", undefined, { raw }), 413, "invalid_request_error");
    // Much larger too.
    expectError(
      await api("POST", "/v1/customers", undefined, { raw: JSON.stringify({ name: "y".repeat(300_000) }) }),
      413,
      "invalid_request_error",
    );
  });

  it("reads a body of exactly 64 KiB (then validates it: the name is too long, 400)", async () => {
    const base = JSON.stringify({ ...validPlan(), name: "" });
    const raw = base.replace('"name":""', `"name":"${"x".repeat(65_536 - base.length)}"`);
    expect(new TextEncoder().encode(raw).length).toBe(65_536);
    expectError(await api("POST", "/v1/plans", undefined, { raw }), 400, "invalid_request_error", "name");
  });

  it("answers 413 for a large PATCH body too", async () => {
    const plan = await createPlan();
    const raw = JSON.stringify({ name: "z".repeat(70_000) });
    expectError(await api("PATCH", `/v1/plans/${plan.id}`, undefined, { raw }), 413, "invalid_request_error");
  });

  it("answers a body with a non-JSON content type with 415 invalid_request_error, and does nothing", async () => {
    const id = uniquePlanId("ctype");
    const raw = JSON.stringify({ ...validPlan(), id });
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await api("POST", "/v1/plans", undefined, { raw, headers: { "Content-Type": contentType } });
      expectError(res, 415, "invalid_request_error", undefined, "unsupported_media_type");
    }
    // A form body (what `curl -d` sends) is 415 too, not a JSON parse error.
    const form = await api("POST", "/v1/plans", undefined, {
      raw: "name=x&amount=1",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expectError(form, 415, "invalid_request_error", undefined, "unsupported_media_type");
    expectError(await api("GET", `/v1/plans/${id}`), 404, "not_found", "id");
  });

  it("answers a body without any Content-Type with 415 too", async () => {
    const ctx = createExecutionContext();
    const response = await createApp().fetch(
      new Request("http://billify.test/v1/customers", {
        method: "POST",
        headers: { Authorization: `Bearer ${API_KEY}` },
        body: new TextEncoder().encode(JSON.stringify({ email: "nobody@example.com" })),
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(415);
    const body = (await response.json()) as { error: { type: string; code: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.code).toBe("unsupported_media_type");
  });

  it("does not silently ignore a text/plain body (a cancel 'at_period_end' must not cancel at once)", async () => {
    const plan = await createPlan();
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const res = await api("POST", `/v1/subscriptions/${sub.id}/cancel`, undefined, {
      raw: JSON.stringify({ at_period_end: true }),
      headers: { "Content-Type": "text/plain" },
    });
    expectError(res, 415, "invalid_request_error");
    const after = await ok("GET", `/v1/subscriptions/${sub.id}`);
    expect(after.status).toBe("active");
    expect(after.cancel_at_period_end).toBe(false);
  });

  it("accepts application/json with a charset parameter", async () => {
    const res = await api("POST", "/v1/plans", undefined, {
      raw: JSON.stringify(validPlan()),
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
    expect(res.status).toBe(201);
  });

  it("treats an empty body on POST /v1/subscriptions/{id}/cancel as {} (cancel now)", async () => {
    const plan = await createPlan();
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    expect(sub.status).toBe("active");
    const res = await api("POST", `/v1/subscriptions/${sub.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(sub.id);
    expect(res.body.status).toBe("canceled");
    expect(res.body.cancel_at_period_end).toBe(false);
    expect(res.body.canceled_at).not.toBeNull();
  });

  it("treats an empty body with Content-Type: application/json as {} too", async () => {
    const plan = await createPlan();
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const res = await api("POST", `/v1/subscriptions/${sub.id}/cancel`, undefined, {
      raw: "",
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("canceled");
  });

  it("validates an explicit cancel body: at_period_end true, unknown fields 400", async () => {
    const plan = await createPlan();
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    expectError(
      await api("POST", `/v1/subscriptions/${sub.id}/cancel`, { now: true }),
      400,
      "invalid_request_error",
      "now",
    );
    expectError(
      await api("POST", `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: "yes" }),
      400,
      "invalid_request_error",
      "at_period_end",
    );
    const res = await api("POST", `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: true });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("active");
    expect(res.body.cancel_at_period_end).toBe(true);
  });

  it("answers a required body sent empty with 400 naming the first missing field", async () => {
    expectError(await api("POST", "/v1/plans"), 400, "invalid_request_error", "name");
  });

  it("answers JSON content type on a GET harmlessly (bodies are only read on POST/PATCH)", async () => {
    const res = await api("GET", "/v1/plans", undefined, { headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(200);
  });

  it("answers an unhandled error with 500 api_error without leaking the stack or the cause (which goes to the log)", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const ctx = createExecutionContext();
    const brokenKv = {
      list: () => {
        throw new Error("SECRET-INTERNAL-DETAIL at kv.list (/src/thing.ts:1:1)");
      },
    } as unknown as KVNamespace;
    const response = await createApp().fetch(
      new Request("http://billify.test/v1/plans", { headers: { Authorization: `Bearer ${API_KEY}` } }),
      { ...env, BILLIFY_KV: brokenKv },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("SECRET-INTERNAL-DETAIL");
    expect(text).not.toMatch(/\bat\s+\S+\s+\(|\.ts:\d+/);
    const body = JSON.parse(text) as { error: { type: string; code: string; message: string } };
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.type).toBe("api_error");
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "type"]);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0]![1])).toContain("SECRET-INTERNAL-DETAIL");
    logged.mockRestore();
  });
});
