import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { METRICS_SHARDS, metricsShardOf } from "../../src/admin/metrics/contribution";
import { expectError } from "../api/expect";
import { ADMIN_KEY, advance, api, createClock, createCustomer, createPlan, ok } from "../helpers";

const admin = { key: ADMIN_KEY };
const STATUSES = ["trialing", "active", "incomplete", "incomplete_expired", "past_due", "unpaid", "canceled"];

/** The MRR rule (docs/billing-rules.md, Endpoints) written out independently of src/domain/mrr.ts, on what the actors say. */
function recount(subscriptions: { status: string; quantity: number }[], plans: Map<string, any>, subs: any[]) {
  const mrr: Record<string, number> = {};
  const counts: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  subs.forEach((sub, i) => {
    const { status, quantity } = subscriptions[i]!;
    counts[status]! += 1;
    if (status !== "active" && status !== "past_due") return;
    const plan = plans.get(sub.plan);
    const perMonth = {
      month: 1 / plan.interval_count,
      year: 1 / (12 * plan.interval_count),
      week: 52 / 12 / plan.interval_count,
      day: 365 / 12 / plan.interval_count,
    }[plan.interval as string]!;
    const exact = plan.amount * quantity * perMonth;
    mrr[plan.currency] = (mrr[plan.currency] ?? 0) + Math.sign(exact) * Math.round(Math.abs(exact) + 1e-9);
  });
  return { mrr, counts };
}

describe("GET /v1/admin/metrics", () => {
  it("matches a recount from the actors: MRR per currency by the documented rule, counts per status", async () => {
    const clock = await createClock("2026-06-01T12:00:00Z");
    const good = await createCustomer({ test_clock: clock.id });
    const bad = await createCustomer({ test_clock: clock.id, payment_method: "pm_card_chargeDeclined" });
    const plans = [
      await createPlan({ amount: 1000, interval: "month" }), // ×3 → 3000
      await createPlan({ amount: 1000, interval: "month", interval_count: 3 }), // 333.33 → 333
      await createPlan({ amount: 1001, interval: "week" }), // 4337.67 → 4338
      await createPlan({ amount: 333, interval: "day" }), // 10128.75 → 10129 (past_due)
      await createPlan({ amount: 12_000, currency: "jpy", interval: "year" }), // 1000
      await createPlan({ amount: 5000, interval: "month" }), // trialing: 0
      await createPlan({ amount: 7000, interval: "month" }), // canceled: 0
      await createPlan({ amount: 900, interval: "month" }), // incomplete: 0
    ];
    const made = [
      await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plans[0].id, quantity: 3 }),
      await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plans[1].id }),
      await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plans[2].id }),
      await ok("POST", "/v1/subscriptions", { customer: bad.id, plan: plans[3].id, trial_days: 1 }),
      await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plans[4].id }),
      await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plans[5].id, trial_days: 14 }),
      await ok("POST", "/v1/subscriptions", { customer: good.id, plan: plans[6].id }),
    ];
    await ok("POST", `/v1/subscriptions/${made[6].id}/cancel`, {});
    await advance(clock.id, "2026-06-02T13:00:00Z"); // the day plan's trial ends and its invoice fails
    made.push(await ok("POST", "/v1/subscriptions", { customer: bad.id, plan: plans[7].id })); // incomplete

    const metrics = await ok("GET", "/v1/admin/metrics", undefined, admin);
    const now = await Promise.all(made.map((s) => ok("GET", `/v1/subscriptions/${s.id}`)));
    expect(now.map((s) => s.status)).toEqual([
      "active",
      "active",
      "active",
      "past_due",
      "active",
      "trialing",
      "canceled",
      "incomplete",
    ]);
    const expected = recount(now, new Map(plans.map((p) => [p.id, p])), now);
    expect(metrics).toEqual({ object: "metrics", mrr: expected.mrr, counts: expected.counts, subscriptions: 8 });
    expect(metrics.mrr).toEqual({ jpy: 1000, usd: 3000 + 333 + 4338 + 10129 });
    expect(metrics.counts).toEqual({
      trialing: 1,
      active: 4,
      incomplete: 1,
      incomplete_expired: 0,
      past_due: 1,
      unpaid: 0,
      canceled: 1,
    });

    // Transitions move the totals: the past-due one recovers; the quantity of the first drops.
    await ok("PATCH", `/v1/customers/${bad.id}`, { payment_method: "pm_card_visa" });
    await ok("POST", `/v1/subscriptions/${made[0].id}/change`, { quantity: 1, proration_behavior: "none" });
    const after = await ok("GET", "/v1/admin/metrics", undefined, admin);
    expect(after.mrr).toEqual({ jpy: 1000, usd: 1000 + 333 + 4338 + 10129 + 900 });
    expect(after.counts).toMatchObject({ active: 6, past_due: 0, incomplete: 0, trialing: 1, canceled: 1 });
  }, 30_000);

  it("ignores a redelivered or older contribution (each is stored with its version)", async () => {
    const id = "sub_01KZZZZZZZZZZZZZZZZZZZZZZZ";
    const shard = env.METRICS.getByName(metricsShardOf(id));
    const before = await shard.totals();
    const base = (n: string) => before.mrr[n] ?? 0;
    expect(await shard.apply({ subscription: id, version: 3, status: "active", currency: "eur", mrr: 500 })).toEqual({
      applied: true,
    });
    expect(await shard.apply({ subscription: id, version: 3, status: "active", currency: "eur", mrr: 500 })).toEqual({
      applied: false,
    });
    expect(await shard.apply({ subscription: id, version: 2, status: "past_due", currency: "eur", mrr: 999 })).toEqual({
      applied: false,
    });
    expect((await shard.totals()).mrr.eur).toBe(base("eur") + 500);
    expect(await shard.apply({ subscription: id, version: 4, status: "canceled", currency: "eur", mrr: 0 })).toEqual({
      applied: true,
    });
    const totals = await shard.totals();
    expect(totals.mrr.eur ?? 0).toBe(base("eur"));
    expect(totals.counts.active ?? 0).toBe(before.counts.active ?? 0);
    expect(totals.counts.canceled).toBe((before.counts.canceled ?? 0) + 1);
    expect(METRICS_SHARDS).toBe(16);
  });

  it("is for admins only", async () => {
    expectError(await api("GET", "/v1/admin/metrics"), 403, "permission_error");
  });
});

// Runs after the recount above: it adds an active subscription of its own.
describe("MRR with discounts", () => {
  it("counts a recurring discount in MRR, and stops when it ends; a once discount never counts", async () => {
    const plan = await createPlan({ amount: 3000, currency: "sek", interval: "month" });
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const sek = async () => (await ok("GET", "/v1/admin/metrics", undefined, admin)).mrr.sek;
    await expect.poll(sek).toBe(3000);
    const half = await ok("POST", "/v1/coupons", { percent_off: 50, duration: "forever" });
    await ok("POST", `/v1/subscriptions/${sub.id}/discount`, { coupon: half.id });
    await expect.poll(sek).toBe(1500);
    const once = await ok("POST", "/v1/coupons", { amount_off: 1000, currency: "sek", duration: "once" });
    await ok("POST", `/v1/subscriptions/${sub.id}/discount`, { coupon: once.id });
    await expect.poll(sek).toBe(3000);
    await ok("POST", `/v1/subscriptions/${sub.id}/discount`, { coupon: half.id });
    await expect.poll(sek).toBe(1500);
    await ok("DELETE", `/v1/subscriptions/${sub.id}/discount`);
    await expect.poll(sek).toBe(3000);
  });
});
