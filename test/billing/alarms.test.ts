import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { alarmRetryDelayMs } from "../../src/actors/capabilities/alarm-failures";
import { loadLedger, persist } from "../../src/actors/subscription/persist";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { decideRenewal } from "../../src/domain/lifecycle";
import { eventually, kvSummary } from "../admin/read-model";
import { backdateOneDay } from "../backdate";
import { ADMIN_KEY, api, createCustomer, createPlan, invoicesOf, ok } from "../helpers";

const DAY = 86_400;

/** A real-time (no test clock) daily subscription, and its actor's stub. */
async function dailySubscription() {
  const customer = await createCustomer();
  const plan = await createPlan({ amount: 300, interval: "day" });
  const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
  const stub = env.SUBSCRIPTIONS.getByName(subscription.id.slice(-16));
  return { subscription, stub };
}

describe("reads never run due jobs", () => {
  it("previews a change on the period that has begun without making the due renewal, then the change makes it", async () => {
    const { subscription, stub } = await dailySubscription();
    await backdateOneDay(stub);
    const other = await createPlan({ amount: 600, interval: "day" });
    const versionOf = () =>
      runInDurableObject(
        stub,
        (_i, state) => state.storage.sql.exec<{ v: number }>("SELECT version AS v FROM subscription").one().v,
      );
    const before = await versionOf();
    const preview = await ok("POST", `/v1/subscriptions/${subscription.id}/preview_change`, {
      plan: other.id,
      proration_behavior: "always_invoice",
    });
    // Priced in the period that began a minute ago: both lines run to its end.
    const periodEnd = new Date((Date.parse(subscription.current_period_end) / 1000 - 60) * 1000)
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    expect(preview.lines.map((l: { period_end: string }) => l.period_end)).toEqual([periodEnd, periodEnd]);
    expect(await versionOf()).toBe(before);
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}/events`)).data).toHaveLength(5);
    const upcoming = await stub.upcomingInvoice(subscription.id);
    expect(upcoming.ok && upcoming.value).toMatchObject({
      billing_reason: "subscription_cycle",
      total: 300,
      amount_due: 300,
    });
    expect(await versionOf()).toBe(before);
    await ok("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: other.id,
      proration_behavior: "always_invoice",
    });
    expect((await invoicesOf(subscription.id)).map((i) => i.billing_reason)).toEqual([
      "subscription_create",
      "subscription_cycle",
      "subscription_update",
    ]);
  });
});

describe("renewal from the actor's own alarm", () => {
  it("renews once when the alarm fires, however often it runs again", async () => {
    const { subscription, stub } = await dailySubscription();
    await backdateOneDay(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(true); // re-armed for the next renewal; nothing is due yet
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.billing_reason, i.total, i.status])).toEqual([
      ["subscription_create", 300, "paid"],
      ["subscription_cycle", 300, "paid"],
    ]);
    expect(invoices[1].period_start).toBe(invoices[0].period_end);
    const sub = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(sub.current_period_start).toBe(invoices[1].period_start);
  });

  it("survives eviction between steps without invoicing a period twice", async () => {
    const { subscription, stub } = await dailySubscription();
    await backdateOneDay(stub);
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    expect((await invoicesOf(subscription.id)).map((i) => i.billing_reason)).toEqual([
      "subscription_create",
      "subscription_cycle",
    ]);
  });

  it("finishes the payment of a renewal whose run died after invoicing", async () => {
    const { subscription, stub } = await dailySubscription();
    await backdateOneDay(stub);
    // The renewal's transaction commits, then the actor dies before its payment attempt.
    await runInDurableObject(stub, (instance: SubscriptionActor, state) => {
      const end = state.storage.sql.exec<{ e: number }>("SELECT current_period_end AS e FROM subscription").one().e;
      // The renew job's own transaction, as runJobsDue runs it, without the payment after it.
      // biome-ignore lint/complexity/useLiteralKeys: a test reaching the actor's private context
      const ctx = instance["context"];
      ctx.transaction(() => persist(ctx, decideRenewal(loadLedger(ctx), end), end));
    });
    await evictDurableObject(stub);
    const unpaid = (await invoicesOf(subscription.id))[1];
    expect(unpaid).toMatchObject({ status: "open", attempt_count: 0 });
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    const renewal = (await invoicesOf(subscription.id))[1];
    expect(renewal).toMatchObject({ id: unpaid.id, status: "paid", attempt_count: 1 });
    const payments = await ok("GET", `/v1/invoices/${renewal.id}/payments`);
    expect(payments.data.map((p: { status: string }) => p.status)).toEqual(["succeeded"]);
  });

  it("keeps the read model in KV with a version that only grows", async () => {
    const { subscription, stub } = await dailySubscription();
    // The mirror follows the answer (eventually consistent).
    const first = (await eventually(
      () => kvSummary(subscription.id),
      (s) => s !== null,
    ))!;
    expect(first).toMatchObject({
      id: subscription.id,
      status: "active",
      amount: 300,
      currency: "usd",
      interval: "day",
    });
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    const last = await eventually(
      () => kvSummary(subscription.id),
      (s) => s?.status === "canceled",
    );
    expect(last!.version).toBeGreaterThan(first.version);
    await runDurableObjectAlarm(stub);
    expect((await kvSummary(subscription.id))!.status).toBe("canceled");
  });
});

describe("the invoice.upcoming notice from the actor's own alarm (derived from the state, no job row)", () => {
  it("arms the alarm at the notice, sends it once when it fires, then arms it for the renewal", async () => {
    const customer = await createCustomer();
    const plan = await createPlan({ amount: 1500, interval: "month" });
    const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const stub = env.SUBSCRIPTIONS.getByName(subscription.id.slice(-16));
    const end = Date.parse(subscription.current_period_end) / 1000;
    const alarm = () => runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    // The earliest due time is the notice, BILLIFY_UPCOMING_DAYS (7) before the renewal.
    await eventually(alarm, (at) => at === (end - 7 * DAY) * 1000);
    // A day into the notice window: the period moved back to end 6 days from now, the renewal's job with it.
    const shift = end - Date.parse(subscription.current_period_start) / 1000 - 6 * DAY;
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE subscription SET anchor = anchor - ?, current_period_start = current_period_start - ?, current_period_end = current_period_end - ?",
        shift,
        shift,
        shift,
      );
      state.storage.sql.exec("UPDATE job SET due_at = due_at - ? WHERE kind = 'renew'", shift);
    });
    const notices = async () =>
      (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data.filter(
        (e: { type: string }) => e.type === "invoice.upcoming",
      );
    expect(await notices()).toEqual([]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(true); // nothing due: never announced twice
    const sent = await notices();
    expect(sent.map((e: { created: string }) => e.created)).toEqual([
      new Date((end - shift - 7 * DAY) * 1000).toISOString().replace(".000Z", "Z"),
    ]);
    const { jobs, sentFor } = await runInDurableObject(stub, (_instance, state) => ({
      jobs: state.storage.sql.exec("SELECT kind FROM job").toArray(),
      sentFor: state.storage.sql.exec("SELECT value FROM _meta WHERE key = 'upcoming_sent_for'").one().value,
    }));
    expect(jobs).toEqual([{ kind: "renew" }]);
    expect(sentFor).toBe(end - shift);
    // Next: the renewal (its herd-spreading offset after its due time), nothing before it.
    await eventually(alarm, (at) => at !== null && at >= (end - shift) * 1000);
  });
});

describe("a request that arrives after the period ended, before the alarm", () => {
  it("renews first, then prices the change in the new period", async () => {
    const { subscription, stub } = await dailySubscription();
    await backdateOneDay(stub);
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, { quantity: 2 });
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => i.billing_reason)).toEqual(["subscription_create", "subscription_cycle"]);
    expect(changed.current_period_start).toBe(invoices[1].period_start);
    expect(changed.quantity).toBe(2);
  });
});

describe("an alarm run that fails", () => {
  it("backs off with jitter, records its failures for an operator, and clears them once a run succeeds", async () => {
    const { subscription, stub } = await dailySubscription();
    await backdateOneDay(stub);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await runInDurableObject(stub, (instance: SubscriptionActor) => {
      const held = instance as unknown as { runDueJobs(): Promise<void>; realRunDueJobs?: () => Promise<void> };
      held.realRunDueJobs = held.runDueJobs;
      held.runDueJobs = async () => {
        throw new Error("customer actor unreachable");
      };
    });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = Date.now();
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
      delays.push(alarm! - before);
    }
    // Retry n waits min(1 h, 30 s × 2^(n−1)) × [0.5, 1): 15–30 s, 30–60 s, 60–120 s.
    expect(delays[0]).toBeGreaterThanOrEqual(15_000 - 1_000);
    expect(delays[0]).toBeLessThan(30_000 + 1_000);
    expect(delays[1]).toBeGreaterThanOrEqual(30_000 - 1_000);
    expect(delays[1]).toBeLessThan(60_000 + 1_000);
    expect(delays[2]).toBeGreaterThanOrEqual(60_000 - 1_000);
    expect(delays[2]).toBeLessThan(120_000 + 1_000);
    const health = await stub.alarmHealth();
    expect(health.failures).toBe(3);
    expect(health.last_error).toBe("Error: customer actor unreachable");
    // The operator's view over the API, admin key only, in seconds.
    const route = `/v1/admin/subscriptions/${subscription.id}/alarm`;
    const failing = await ok("GET", route, undefined, { key: ADMIN_KEY });
    const iso = (ms: number, round: (x: number) => number) =>
      new Date(round(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
    expect(failing).toEqual({
      object: "alarm_health",
      subscription: subscription.id,
      next_alarm: iso(health.armed_at!, Math.ceil),
      failures: 3,
      last_error: "Error: customer actor unreachable",
      last_failure_at: iso(health.last_failed_at!, Math.floor),
    });
    const refused = await api("GET", route);
    expect([refused.status, refused.body.error.code]).toEqual([403, "admin_key_required"]);
    const unknown = await api("GET", "/v1/admin/subscriptions/sub_01JD00000000000000000000AL/alarm", undefined, {
      key: ADMIN_KEY,
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "resource_missing"]);
    expect(errors).toHaveBeenCalledTimes(3);
    errors.mockRestore();
    // The cause goes away: the next run renews and the failure record is cleared.
    await runInDurableObject(stub, (instance: SubscriptionActor) => {
      const held = instance as unknown as { runDueJobs(): Promise<void>; realRunDueJobs: () => Promise<void> };
      held.runDueJobs = held.realRunDueJobs;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await invoicesOf(subscription.id)).map((i) => i.billing_reason)).toEqual([
      "subscription_create",
      "subscription_cycle",
    ]);
    const after = await stub.alarmHealth();
    expect(after.failures).toBe(0);
    expect(after.last_error).toBeNull();
    const sub = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    // Armed for the next renewal, or sooner for a deferred read-model write.
    expect(after.armed_at).not.toBeNull();
    expect(after.armed_at!).toBeLessThanOrEqual(Date.parse(sub.current_period_end));
    const healthy = await ok("GET", route, undefined, { key: ADMIN_KEY });
    expect(healthy).toEqual({
      object: "alarm_health",
      subscription: subscription.id,
      next_alarm: iso(after.armed_at!, Math.ceil),
      failures: 0,
      last_error: null,
      last_failure_at: null,
    });
  });
});

describe("the retry delay of a failing alarm", () => {
  it("doubles from 30 s to a one-hour cap, jittered over its upper half", () => {
    expect(alarmRetryDelayMs(1, 0)).toBe(15_000);
    expect(alarmRetryDelayMs(1, 0.999999)).toBe(30_000);
    expect(alarmRetryDelayMs(4, 0.5)).toBe(180_000);
    expect(alarmRetryDelayMs(8, 0)).toBe(1_800_000);
    expect(alarmRetryDelayMs(50, 0.5)).toBe(2_700_000);
  });
});
