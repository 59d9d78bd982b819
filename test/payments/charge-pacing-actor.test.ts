import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Config } from "../../src/actors/config";
import { subscriptionStub } from "../../src/actors/stubs";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { shardOf } from "../../src/payments/charge-pacing";
import { createCustomer, createPlan, ok, paymentsOf } from "../helpers";

/** One slot a second on one shard: the smallest pacing that shows a wait. */
const PACING = { rate: 1, shards: 1, spacingMs: 1_000 };

describe("charge pacing on the attempt path", () => {
  it("moves an automatic attempt to its gateway slot, then charges it once there", { timeout: 30_000 }, async () => {
    const customer = await createCustomer({ payment_method: "pm_card_visa" });
    const plan = await createPlan({ amount: 1500 });
    const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const stub = subscriptionStub(env, subscription.id)!;
    await runInDurableObject(stub, (instance: SubscriptionActor) => {
      const held = instance as unknown as { config: Config };
      held.config = Object.freeze({ ...held.config, pacing: PACING });
    });
    // Two attempts elsewhere took the next two slots of this subscription's shard.
    const shard = env.CHARGE_PACERS.getByName(`shard-${shardOf(subscription.id, PACING.shards)}`);
    const now = Date.now();
    await shard.reserve("other:1", now, PACING.spacingMs);
    await shard.reserve("other:2", now, PACING.spacingMs);

    await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: 700, description: "Setup" });
    const invoice = await ok("POST", `/v1/subscriptions/${subscription.id}/invoices`);
    expect(invoice.status).toBe("open");
    expect(invoice.attempt_count).toBe(0);
    const slot = Date.parse(invoice.next_payment_attempt);
    expect(slot).toBeGreaterThan(now);
    expect(slot).toBeLessThanOrEqual(now + 4_000);
    expect(await paymentsOf(invoice.id)).toHaveLength(0);

    // At its slot the attempt asks again, gets the slot it holds, and charges.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, slot - Date.now() + 50)));
    await runDurableObjectAlarm(stub);
    const paid = await ok("GET", `/v1/invoices/${invoice.id}`);
    expect(paid).toMatchObject({ status: "paid", attempt_count: 1, amount_paid: 700, next_payment_attempt: null });
    const payments = await paymentsOf(invoice.id);
    expect(payments.map((p: { status: string; attempt: number }) => [p.status, p.attempt])).toEqual([["succeeded", 1]]);
  });

  it("paces a renewal's first attempt, written with the renewal, by moving its reconcile to the slot", {
    timeout: 30_000,
  }, async () => {
    const customer = await createCustomer({ payment_method: "pm_card_visa" });
    const plan = await createPlan({ amount: 900, interval: "day" });
    const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const stub = subscriptionStub(env, subscription.id)!;
    // The renewal is due now: the period moved a day (and a minute) into the past.
    const back = 86_400 + 60;
    await runInDurableObject(stub, (instance: SubscriptionActor, state) => {
      const held = instance as unknown as { config: Config };
      held.config = Object.freeze({ ...held.config, pacing: PACING });
      const sql = state.storage.sql;
      sql.exec(
        "UPDATE subscription SET anchor = anchor - ?, current_period_start = current_period_start - ?, current_period_end = current_period_end - ?",
        back,
        back,
        back,
      );
      sql.exec("UPDATE invoice SET period_start = period_start - ?, period_end = period_end - ?", back, back);
      sql.exec("UPDATE job SET due_at = due_at - ? WHERE kind = 'renew'", back);
    });
    const shard = env.CHARGE_PACERS.getByName(`shard-${shardOf(subscription.id, PACING.shards)}`);
    const now = Date.now();
    await shard.reserve("other:3", now, PACING.spacingMs);
    await shard.reserve("other:4", now, PACING.spacingMs);

    await runDurableObjectAlarm(stub);
    const renewal = await ok(
      "GET",
      `/v1/invoices/${(await ok("GET", `/v1/subscriptions/${subscription.id}`)).latest_invoice}`,
    );
    expect([renewal.billing_reason, renewal.status, renewal.attempt_count]).toEqual(["subscription_cycle", "open", 1]);
    // Written, not sent: the pending payment waits for its slot, its reconcile moved there.
    const waiting = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec("SELECT status, reconcile_at FROM payment WHERE invoice_id = ?", renewal.id).toArray(),
    );
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.status).toBe("pending");
    const slot = (waiting[0]!.reconcile_at as number) * 1000;
    expect(slot).toBeGreaterThan(now);
    expect(slot).toBeLessThanOrEqual(now + 4_000);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, slot - Date.now() + 50)));
    await runDurableObjectAlarm(stub);
    const paid = await ok("GET", `/v1/invoices/${renewal.id}`);
    expect(paid).toMatchObject({ status: "paid", attempt_count: 1, amount_paid: 900 });
    const payments = await paymentsOf(renewal.id);
    expect(payments.map((p: { status: string; attempt: number }) => [p.status, p.attempt])).toEqual([["succeeded", 1]]);
  });
});
