import { describe, expect, it } from "vitest";
import { api, createCustomer, ok, uniquePlanId } from "../helpers";
import { expectError, ISO_SECOND, ulidId } from "./expect";

const fields = { name: "Pro", currency: "usd", amount: 2500, interval: "month" } as const;

describe("POST /v1/plans", () => {
  it("creates a plan with a client-chosen id and the defaults", async () => {
    const id = uniquePlanId("pro");
    const res = await api("POST", "/v1/plans", { id, ...fields });
    expect(res.status).toBe(201);
    expect(res.headers.get("Idempotent-Replayed")).toBeNull();
    const { created, ...rest } = res.body;
    expect(rest).toEqual({
      id,
      object: "plan",
      name: "Pro",
      currency: "usd",
      amount: 2500,
      interval: "month",
      interval_count: 1,
      trial_days: 0,
      charges: [],
      active: true,
      metadata: {},
    });
    expect(created).toMatch(ISO_SECOND);
    expect(await ok("GET", `/v1/plans/${id}`)).toEqual(res.body);
  });

  it("generates plan_<ULID> when no id is given", async () => {
    const res = await api("POST", "/v1/plans", {
      ...fields,
      interval: "year",
      interval_count: 2,
      trial_days: 14,
      active: false,
      metadata: { tier: "gold" },
    });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(ulidId("plan"));
    expect(res.body.id).toHaveLength(31);
    expect(res.body.interval).toBe("year");
    expect(res.body.interval_count).toBe(2);
    expect(res.body.trial_days).toBe(14);
    expect(res.body.active).toBe(false);
    expect(res.body.metadata).toEqual({ tier: "gold" });
    expect(await ok("GET", `/v1/plans/${res.body.id}`)).toEqual(res.body);
    const again = await api("POST", "/v1/plans", fields);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(res.body.id);
  });

  it("answers a duplicate client id with 409 conflict and keeps the first plan", async () => {
    const id = uniquePlanId("dup");
    await ok("POST", "/v1/plans", { id, ...fields });
    expectError(await api("POST", "/v1/plans", { id, ...fields, name: "Other", amount: 1 }), 409, "conflict", "id");
    const plan = await ok("GET", `/v1/plans/${id}`);
    expect(plan.name).toBe("Pro");
    expect(plan.amount).toBe(2500);
  });

  it("rejects ids outside [a-z0-9_-]{1,64}", async () => {
    for (const id of ["Pro", "has space", "a".repeat(65), "", "ünicode", "a/b"]) {
      expectError(await api("POST", "/v1/plans", { id, ...fields }), 400, "invalid_request_error", "id");
    }
    const longest = await api("POST", "/v1/plans", { id: `m${Date.now()}`.padEnd(64, "x"), ...fields });
    expect(longest.status).toBe(201);
  });

  it("answers an interval longer than 3 years with 400 param interval_count", async () => {
    for (const [interval, over] of [
      ["year", 4],
      ["month", 37],
      ["week", 157],
      ["day", 1096],
    ] as const) {
      expectError(
        await api("POST", "/v1/plans", { ...fields, interval, interval_count: over }),
        400,
        "invalid_request_error",
        "interval_count",
      );
    }
    for (const [interval, max] of [
      ["year", 3],
      ["month", 36],
      ["week", 156],
      ["day", 1095],
    ] as const) {
      const res = await api("POST", "/v1/plans", { ...fields, interval, interval_count: max });
      expect(res.status, `${interval} × ${max}`).toBe(201);
      expect(res.body.interval_count).toBe(max);
    }
    expectError(
      await api("POST", "/v1/plans", { ...fields, interval_count: 0 }),
      400,
      "invalid_request_error",
      "interval_count",
    );
    expectError(
      await api("POST", "/v1/plans", { ...fields, interval_count: 1.5 }),
      400,
      "invalid_request_error",
      "interval_count",
    );
  });

  it("validates amount and currency", async () => {
    expectError(await api("POST", "/v1/plans", { ...fields, amount: -1 }), 400, "invalid_request_error", "amount");
    expectError(
      await api("POST", "/v1/plans", { ...fields, currency: "dollars" }),
      400,
      "invalid_request_error",
      "currency",
    );
    expectError(
      await api("POST", "/v1/plans", { ...fields, trial_days: -1 }),
      400,
      "invalid_request_error",
      "trial_days",
    );
  });
});

describe("PATCH /v1/plans/{id}", () => {
  async function plan(extra: Record<string, unknown> = {}) {
    return ok("POST", "/v1/plans", { id: uniquePlanId("patch"), ...fields, ...extra });
  }

  it("changes the name and the active flag", async () => {
    const p = await plan();
    const res = await api("PATCH", `/v1/plans/${p.id}`, { name: "Pro 2", active: false });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...p, name: "Pro 2", active: false });
    expect(await ok("GET", `/v1/plans/${p.id}`)).toEqual({ ...p, name: "Pro 2", active: false });
    const back = await ok("PATCH", `/v1/plans/${p.id}`, { active: true });
    expect(back).toEqual({ ...p, name: "Pro 2", active: true });
  });

  it("merges metadata; an empty string deletes a key", async () => {
    const p = await plan({ metadata: { a: "1", b: "2" } });
    expect((await ok("PATCH", `/v1/plans/${p.id}`, { metadata: { b: "3", c: "4" } })).metadata).toEqual({
      a: "1",
      b: "3",
      c: "4",
    });
    expect((await ok("PATCH", `/v1/plans/${p.id}`, { metadata: { a: "" } })).metadata).toEqual({ b: "3", c: "4" });
    expect((await ok("PATCH", `/v1/plans/${p.id}`, { metadata: { missing: "" } })).metadata).toEqual({
      b: "3",
      c: "4",
    });
    expect((await ok("GET", `/v1/plans/${p.id}`)).metadata).toEqual({ b: "3", c: "4" });
  });

  it("an empty PATCH changes nothing", async () => {
    const p = await plan({ metadata: { k: "v" } });
    const res = await api("PATCH", `/v1/plans/${p.id}`, {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual(p);
  });

  it("refuses to change a price term: 400 naming the field, plan unchanged", async () => {
    const p = await plan();
    const attempts: [string, unknown][] = [
      ["amount", 1],
      ["currency", "eur"],
      ["interval", "year"],
      ["interval_count", 2],
    ];
    for (const [field, value] of attempts) {
      expectError(await api("PATCH", `/v1/plans/${p.id}`, { [field]: value }), 400, "invalid_request_error", field);
      // Together with an allowed change, nothing at all changes.
      expectError(
        await api("PATCH", `/v1/plans/${p.id}`, { name: "Sneaky", [field]: value }),
        400,
        "invalid_request_error",
        field,
      );
      // Even the same value is refused: price terms are not part of a PATCH.
      expectError(await api("PATCH", `/v1/plans/${p.id}`, { [field]: p[field] }), 400, "invalid_request_error", field);
    }
    expect(await ok("GET", `/v1/plans/${p.id}`)).toEqual(p);
  });

  it("refuses an unknown field with 400 naming it", async () => {
    const p = await plan();
    expectError(await api("PATCH", `/v1/plans/${p.id}`, { nickname: "x" }), 400, "invalid_request_error", "nickname");
    expectError(await api("PATCH", `/v1/plans/${p.id}`, { name: "" }), 400, "invalid_request_error", "name");
    expectError(await api("PATCH", `/v1/plans/${p.id}`, { active: "no" }), 400, "invalid_request_error", "active");
    expect(await ok("GET", `/v1/plans/${p.id}`)).toEqual(p);
  });

  it("refuses metadata that would grow past 50 keys", async () => {
    const forty = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "v"]));
    const p = await plan({ metadata: forty });
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`n${i}`, "v"]));
    expectError(
      await api("PATCH", `/v1/plans/${p.id}`, { metadata: twenty }),
      400,
      "invalid_request_error",
      "metadata",
    );
    expect(Object.keys((await ok("GET", `/v1/plans/${p.id}`)).metadata)).toHaveLength(40);
    // Replacing and deleting keys within the limit is fine.
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`n${i}`, "v"]));
    expect(Object.keys((await ok("PATCH", `/v1/plans/${p.id}`, { metadata: ten })).metadata)).toHaveLength(50);
    expect(
      Object.keys((await ok("PATCH", `/v1/plans/${p.id}`, { metadata: { k0: "", n10: "v" } })).metadata),
    ).toHaveLength(50);
  });
});

describe("inactive plans", () => {
  it("cannot be given to a new subscription (400 param plan)", async () => {
    const p = await ok("POST", "/v1/plans", { id: uniquePlanId("inactive"), ...fields, active: false });
    const customer = await createCustomer();
    expectError(
      await api("POST", "/v1/subscriptions", { customer: customer.id, plan: p.id }),
      400,
      "invalid_request_error",
      "plan",
    );
    expect((await ok("GET", `/v1/customers/${customer.id}/subscriptions`)).data).toEqual([]);
  });

  it("a plan deactivated by PATCH cannot be subscribed to; reactivated, it can", async () => {
    const p = await ok("POST", "/v1/plans", { id: uniquePlanId("toggle"), ...fields });
    await ok("PATCH", `/v1/plans/${p.id}`, { active: false });
    const customer = await createCustomer();
    expectError(
      await api("POST", "/v1/subscriptions", { customer: customer.id, plan: p.id }),
      400,
      "invalid_request_error",
      "plan",
    );
    await ok("PATCH", `/v1/plans/${p.id}`, { active: true });
    const res = await api("POST", "/v1/subscriptions", { customer: customer.id, plan: p.id });
    expect(res.status).toBe(201);
    expect(res.body.plan).toBe(p.id);
  });

  it("cannot be the target of a change (400 param plan)", async () => {
    const p = await ok("POST", "/v1/plans", { id: uniquePlanId("from"), ...fields });
    const target = await ok("POST", "/v1/plans", { id: uniquePlanId("to"), ...fields, amount: 5000, active: false });
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: p.id });
    expectError(
      await api("POST", `/v1/subscriptions/${sub.id}/change`, { plan: target.id }),
      400,
      "invalid_request_error",
      "plan",
    );
    expectError(
      await api("POST", `/v1/subscriptions/${sub.id}/preview_change`, { plan: target.id }),
      400,
      "invalid_request_error",
      "plan",
    );
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).plan).toBe(p.id);
  });
});
