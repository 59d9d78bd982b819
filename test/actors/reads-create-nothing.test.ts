import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_KEY, api, createClock, createCustomer, createPlan, ok } from "../helpers";

/** The tables of an actor's database (the platform's own `_cf_` tables aside). */
async function tablesOf(stub: DurableObjectStub): Promise<string[]> {
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
      )
      .toArray()
      .map((r) => r.name),
  );
}

async function alarmOf(stub: DurableObjectStub): Promise<number | null> {
  return runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
}

const KEY = "7ZZZZZZZZZZZZZZQ"; // 16 characters of a well-formed ULID's randomness

describe("a read of a well-formed unknown id", () => {
  it("answers 404 and creates nothing, on every kind of actor", async () => {
    const cases: [string, DurableObjectStub][] = [
      [`/v1/subscriptions/sub_01JD0000000000${KEY}`, env.SUBSCRIPTIONS.getByName(KEY)],
      [`/v1/subscriptions/sub_01JD0000000000${KEY}/invoices`, env.SUBSCRIPTIONS.getByName(KEY)],
      [`/v1/subscriptions/sub_01JD0000000000${KEY}/events`, env.SUBSCRIPTIONS.getByName(KEY)],
      [`/v1/invoices/in_01JD0000000000${KEY}`, env.SUBSCRIPTIONS.getByName(KEY)],
      [`/v1/invoices/in_01JD0000000000${KEY}/payments`, env.SUBSCRIPTIONS.getByName(KEY)],
      [`/v1/customers/cus_01JD0000000000${KEY}`, env.CUSTOMERS.getByName(KEY)],
      [`/v1/customers/cus_01JD0000000000${KEY}/subscriptions`, env.CUSTOMERS.getByName(KEY)],
      [`/v1/customers/cus_01JD0000000000${KEY}/invoices`, env.CUSTOMERS.getByName(KEY)],
      [`/v1/plans/plan_01JD0000000000${KEY}`, env.PLANS.getByName(KEY)],
      ["/v1/plans/never-created-plan", env.PLANS.getByName("custom:never-created-plan")],
      [`/v1/test_clocks/clock_01JD0000000000${KEY}`, env.TEST_CLOCKS.getByName(KEY)],
      [`/v1/admin/subscriptions/sub_01JD0000000000${KEY}/alarm`, env.SUBSCRIPTIONS.getByName(KEY)],
    ];
    for (const [path, stub] of cases) {
      const response = await api("GET", path, undefined, path.startsWith("/v1/admin/") ? { key: ADMIN_KEY } : {});
      expect([path, response.status, response.body.error?.type]).toEqual([path, 404, "not_found"]);
      expect([path, await tablesOf(stub)]).toEqual([path, []]);
      expect(await alarmOf(stub)).toBeNull();
    }
  });

  it("also creates nothing for a POST to an unknown object, with or without an Idempotency-Key", async () => {
    const key = "8ZZZZZZZZZZZZZZQ";
    const stub = env.SUBSCRIPTIONS.getByName(key);
    for (const headers of [{}, { "Idempotency-Key": "unknown-object-1" }] as Record<string, string>[]) {
      const response = await api("POST", `/v1/subscriptions/sub_01JD0000000000${key}/cancel`, {}, { headers });
      expect(response.status).toBe(404);
    }
    expect(await tablesOf(stub)).toEqual([]);
  });

  it("still migrates and answers for an actor that exists", async () => {
    const clock = await createClock("2026-01-01T00:00:00Z");
    const customer = await createCustomer({ test_clock: clock.id });
    const plan = await createPlan();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const stub = env.SUBSCRIPTIONS.getByName(sub.id.slice(-16));
    const tables = await tablesOf(stub);
    expect(tables).toEqual(expect.arrayContaining(["_meta", "event_batch", "invoice", "job", "subscription"]));
    // The idempotency and alarm-failure tables come with their first use, not with the object.
    expect(tables).not.toContain("_idempotency");
    expect(tables).not.toContain("_alarm_failure");
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).id).toBe(sub.id);
    await ok(
      "POST",
      `/v1/subscriptions/${sub.id}/cancel`,
      { at_period_end: true },
      { headers: { "Idempotency-Key": `first-use-${sub.id}` } },
    );
    expect(await tablesOf(stub)).toContain("_idempotency");
  });
});
