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
});
