import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker, { CONFIGURATION_ERROR } from "../../src/index";

async function callWith(overrides: Record<string, string>) {
  const request = new Request("http://billify.test/v1/plans", { headers: { Authorization: "Bearer sk_test_local" } });
  const response = await worker.fetch(request, { ...env, ...overrides }, createExecutionContext());
  return {
    status: response.status,
    body: (await response.json()) as { error: { type: string; code: string; message: string } },
  };
}

describe("configuration is checked when the Worker starts", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [{ BILLIFY_RETRY_DAYS: "1,x" }, "BILLIFY_RETRY_DAYS", "1,x"],
    [{ BILLIFY_FINAL_ACTION: "explode" }, "BILLIFY_FINAL_ACTION", "explode"],
    [{ BILLIFY_MODE: "production" }, "BILLIFY_MODE", "production"],
    [{ BILLIFY_MODE: "live" }, "STRIPE_SECRET_KEY", "live"],
  ])("refuses %o: the log names %s, the caller gets a generic 500", async (overrides, variable, value) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const { status, body } = await callWith(overrides);
    expect(status).toBe(500);
    expect(body.error).toEqual(CONFIGURATION_ERROR);
    expect(body.error.message).not.toContain(variable);
    expect(body.error.message).not.toContain(value);
    expect(JSON.stringify(body)).not.toMatch(/BILLIFY|STRIPE/);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0]![0])).toContain(variable);
  });

  it("answers an unauthenticated caller the same generic 500", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const request = new Request("http://billify.test/v1/plans");
    const response = await worker.fetch(request, { ...env, BILLIFY_FINAL_ACTION: "explode" }, createExecutionContext());
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: CONFIGURATION_ERROR });
  });

  it("serves normally with a valid custom policy", async () => {
    const { status } = await callWith({ BILLIFY_RETRY_DAYS: "2,4", BILLIFY_FINAL_ACTION: "unpaid" });
    expect(status).toBe(200);
  });
});

describe("live mode", () => {
  it("answers 404 on test clock routes, and refuses test_clock on customers", async () => {
    const live = { ...env, BILLIFY_MODE: "live", STRIPE_SECRET_KEY: "sk_live_placeholder" };
    const call = (method: string, path: string, body?: unknown) =>
      worker.fetch(
        new Request(`http://billify.test${path}`, {
          method,
          headers: { Authorization: "Bearer sk_test_local", "Content-Type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
        live,
        createExecutionContext(),
      );
    const create = await call("POST", "/v1/test_clocks", { frozen_time: "2026-01-01T00:00:00Z" });
    expect(create.status).toBe(404);
    expect(((await create.json()) as { error: { type: string } }).error.type).toBe("not_found");
    expect((await call("GET", "/v1/test_clocks/clock_01ARZ3NDEKTSV4RRFFQ69G5FAV")).status).toBe(404);
    const customer = await call("POST", "/v1/customers", { test_clock: "clock_01ARZ3NDEKTSV4RRFFQ69G5FAV" });
    expect(customer.status).toBe(400);
    expect(((await customer.json()) as { error: { code: string; param: string } }).error).toMatchObject({
      code: "test_clocks_unavailable",
      param: "test_clock",
    });
  });
});
