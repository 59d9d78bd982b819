import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { expectError } from "../api/expect";
import { ADMIN_KEY, advance, api, createClock, createCustomer, createPlan, ok } from "../helpers";
import { eventually, kvSummary } from "./read-model";

const admin = { key: ADMIN_KEY };
const START = "2026-03-01T09:00:00Z";

async function listAdmin(query: string) {
  return ok("GET", `/v1/admin/subscriptions?${query}`, undefined, admin);
}
async function idsOf(query: string): Promise<string[]> {
  return (await listAdmin(query)).data.map((s: { id: string }) => s.id);
}

/**
 * On one clock, one plan: a subscription that stays active, one whose renewal after a trial
 * fails (past_due), one canceled at once, one still trialing.
 */
async function fleet() {
  const clock = await createClock(START);
  const plan = await createPlan({ amount: 1500, interval: "month" });
  const good = await createCustomer({ test_clock: clock.id, email: "good@example.com" });
  const bad = await createCustomer({
    test_clock: clock.id,
    email: "bad@example.com",
    payment_method: "pm_card_chargeDeclined",
  });
  const active = await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plan.id });
  const pastDue = await ok("POST", "/v1/subscriptions", { customer: bad.id, plan: plan.id, trial_days: 2 });
  const canceled = await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plan.id });
  await ok("POST", `/v1/subscriptions/${canceled.id}/cancel`, {});
  const trialing = await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plan.id, trial_days: 30 });
  await advance(clock.id, "2026-03-03T10:00:00Z"); // the 2-day trial ends; its invoice fails
  return { clock, plan, good, bad, active, pastDue, canceled, trialing };
}

describe("GET /v1/admin/subscriptions (the KV read model)", () => {
  it("filters by status exactly, newest first, and follows each transition (the old key removed)", async () => {
    const f = await fleet();
    expect((await ok("GET", `/v1/subscriptions/${f.pastDue.id}`)).status).toBe("past_due");
    const byPlan = await eventually(
      () => idsOf(`plan=${f.plan.id}&limit=100`),
      (ids) => ids.length === 4,
    );
    expect(byPlan).toEqual([f.trialing.id, f.canceled.id, f.pastDue.id, f.active.id]);
    const pastDue = await eventually(
      () => listAdmin(`status=past_due&plan=${f.plan.id}`),
      (page) => page.data.length === 1,
    );
    expect(pastDue.data).toEqual([
      expect.objectContaining({
        id: f.pastDue.id,
        object: "subscription_summary",
        status: "past_due",
        plan: f.plan.id,
        customer: f.bad.id,
        amount: 1500,
        quantity: 1,
        currency: "usd",
      }),
    ]);
    // It was trialing first: that status key is gone, not left behind.
    const same = (want: string[]) => (ids: string[]) => JSON.stringify(ids) === JSON.stringify(want);
    expect(await eventually(() => idsOf(`status=trialing&plan=${f.plan.id}`), same([f.trialing.id]))).toEqual([
      f.trialing.id,
    ]);
    expect(await eventually(() => idsOf(`status=canceled&customer=${f.good.id}`), same([f.canceled.id]))).toEqual([
      f.canceled.id,
    ]);
    expect(await eventually(() => idsOf(`status=active&plan=${f.plan.id}`), same([f.active.id]))).toEqual([
      f.active.id,
    ]);
    expect(await idsOf(`customer=${f.bad.id}`)).toEqual([f.pastDue.id]);

    // Recovery: a working card pays the open invoice, and the row moves to active.
    await ok("PATCH", `/v1/customers/${f.bad.id}`, { payment_method: "pm_card_visa" });
    await eventually(
      () => idsOf(`status=past_due&plan=${f.plan.id}`),
      (ids) => ids.length === 0,
    );
    const recovered = [f.pastDue.id, f.active.id];
    expect(await eventually(() => idsOf(`status=active&plan=${f.plan.id}`), same(recovered))).toEqual(recovered);
  }, 30_000);

  it("carries the actor's version, in metadata well under KV's 1024 bytes", async () => {
    const planId = `p-${"x".repeat(60)}`; // the longest client-chosen plan id is 64 characters
    const plan = await createPlan({ id: planId, amount: 700 });
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", {
      customer: customer.id,
      plan: plan.id,
      metadata: { note: "y".repeat(500) },
    });
    // The mirror follows the answer (eventually consistent): wait for it.
    const summary = (await eventually(
      () => kvSummary(sub.id),
      (found) => found !== null,
    ))!;
    const version = await runInDurableObject(
      env.SUBSCRIPTIONS.getByName(sub.id.slice(-16)),
      (_i, state) => state.storage.sql.exec<{ version: number }>("SELECT version FROM subscription").one().version,
    );
    expect(summary.version).toBe(version);
    expect(new TextEncoder().encode(JSON.stringify(summary)).byteLength).toBeLessThan(600);
  });

  it("coalesces a burst of changes into at most one KV write per key per second, and the last one wins", async () => {
    const plan = await createPlan({ amount: 100 });
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const stub = env.SUBSCRIPTIONS.getByName(sub.id.slice(-16));
    const puts: { key: string; at: number; version: number }[] = [];
    await runInDurableObject(stub, (instance: SubscriptionActor) => {
      const actor = instance as unknown as { env: { BILLIFY_KV: KVNamespace } };
      const kv = actor.env.BILLIFY_KV;
      actor.env = {
        ...actor.env,
        BILLIFY_KV: {
          put: (key: string, value: string, options: { metadata: { version?: number } }) => {
            puts.push({ key, at: Date.now(), version: options.metadata.version ?? 0 });
            return kv.put(key, value, options);
          },
          delete: (key: string) => kv.delete(key),
        } as unknown as KVNamespace,
      };
    });
    for (let quantity = 2; quantity <= 6; quantity++) {
      await ok("POST", `/v1/subscriptions/${sub.id}/change`, { quantity, proration_behavior: "none" });
    }
    const final = await ok("GET", `/v1/subscriptions/${sub.id}`);
    const last = await eventually(
      () => kvSummary(sub.id),
      (s) => s?.quantity === 6,
      { timeoutMs: 15_000 },
    );
    expect(last!.quantity).toBe(final.quantity);
    const allKey = puts.filter((p) => p.key.startsWith("admin/subs/all/"));
    expect(allKey.length).toBeLessThan(5); // five changes, fewer writes
    for (let i = 1; i < allKey.length; i++) {
      expect(allKey[i]!.at - allKey[i - 1]!.at).toBeGreaterThanOrEqual(1000);
      expect(allKey[i]!.version).toBeGreaterThan(allKey[i - 1]!.version);
    }
  }, 30_000);

  it("writes one KV key for a renewal (its record), and the index keys only when status or plan change", async () => {
    const clock = await createClock(START);
    const plan = await createPlan({ amount: 1500, interval: "month" });
    const customer = await createCustomer({ test_clock: clock.id });
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    await eventually(
      () => idsOf(`status=active&plan=${plan.id}`),
      (ids) => ids.length === 1,
    );
    const puts: string[] = [];
    const deletes: string[] = [];
    await runInDurableObject(env.SUBSCRIPTIONS.getByName(sub.id.slice(-16)), (instance: SubscriptionActor) => {
      const actor = instance as unknown as { env: { BILLIFY_KV: KVNamespace } };
      const kv = actor.env.BILLIFY_KV;
      actor.env = {
        ...actor.env,
        BILLIFY_KV: {
          put: (key: string, value: string, options: unknown) => {
            puts.push(key);
            return kv.put(key, value, options as KVNamespacePutOptions);
          },
          delete: (key: string) => {
            deletes.push(key);
            return kv.delete(key);
          },
        } as unknown as KVNamespace,
      };
    });

    await advance(clock.id, "2026-04-01T10:00:00Z"); // one renewal, paid: active → active
    const renewed = await eventually(
      () => kvSummary(sub.id),
      (s) => s?.current_period_end === "2026-05-01T09:00:00Z",
    );
    expect(renewed).toMatchObject({ status: "active", current_period_end: "2026-05-01T09:00:00Z" });
    expect(puts).toEqual([expect.stringMatching(new RegExp(`^admin/subs/all/\\d{14}/${sub.id}$`))]);
    expect(deletes).toEqual([]);
    // A filtered listing reads the record: it shows the renewed period, not the one its index key was written with.
    const [listed] = (await listAdmin(`status=active&plan=${plan.id}`)).data;
    expect(listed).toMatchObject({ id: sub.id, current_period_end: "2026-05-01T09:00:00Z" });

    // A status change writes the record and the new status key, and removes the old one.
    await ok("POST", `/v1/subscriptions/${sub.id}/cancel`, {});
    await eventually(
      () => idsOf(`status=canceled&plan=${plan.id}`),
      (ids) => ids.length === 1,
    );
    await eventually(
      async () => deletes.length,
      (n) => n === 1,
    );
    expect(puts.slice(1).sort()).toEqual(
      [`admin/subs/all/`, `admin/subs/status/canceled/`].map((prefix) => expect.stringContaining(prefix)),
    );
    expect(deletes).toEqual([expect.stringMatching(/^admin\/subs\/status\/active\//)]);
    expect(await idsOf(`status=active&plan=${plan.id}`)).toEqual([]);
  }, 30_000);

  it("pages with limit and next_cursor, and refuses a cursor it did not issue (400, param cursor)", async () => {
    const plan = await createPlan();
    const customer = await createCustomer();
    const created: string[] = [];
    for (let i = 0; i < 3; i++)
      created.push((await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id })).id);
    // Once all three are mirrored (the mirror follows the answer), page through them two at a time.
    await eventually(
      () => listAdmin(`plan=${plan.id}&limit=10`),
      (p) => p.data.length === 3,
    );
    const first = await listAdmin(`plan=${plan.id}&limit=2`);
    expect(first.has_more).toBe(true);
    const second = await listAdmin(`plan=${plan.id}&limit=2&cursor=${encodeURIComponent(first.next_cursor)}`);
    expect([...first.data, ...second.data].map((s: { id: string }) => s.id)).toEqual(created.reverse());
    expect(second).toMatchObject({ has_more: false, next_cursor: null });

    // A cursor of another filter, of another listing, or made up: 400 naming cursor.
    const otherPlan = await api(
      "GET",
      `/v1/admin/subscriptions?status=active&limit=2&cursor=${encodeURIComponent(first.next_cursor)}`,
      undefined,
      admin,
    );
    expectError(otherPlan, 400, "invalid_request_error", "cursor");
    await createPlan();
    await createPlan();
    const plans = await ok("GET", "/v1/plans?limit=1");
    const foreign = await api(
      "GET",
      `/v1/admin/subscriptions?cursor=${encodeURIComponent(plans.next_cursor)}`,
      undefined,
      admin,
    );
    expectError(foreign, 400, "invalid_request_error", "cursor");
    expectError(
      await api("GET", "/v1/admin/subscriptions?cursor=bm90LW91cnM", undefined, admin),
      400,
      "invalid_request_error",
      "cursor",
    );
  });

  it("is for admins: 403 with the API key, 400 for an unknown status", async () => {
    expectError(await api("GET", "/v1/admin/subscriptions"), 403, "permission_error");
    expectError(
      await api("GET", "/v1/admin/subscriptions?status=sleeping", undefined, admin),
      400,
      "invalid_request_error",
      "status",
    );
    expectError(
      await api("GET", "/v1/admin/subscriptions?limit=0", undefined, admin),
      400,
      "invalid_request_error",
      "limit",
    );
  });
});
