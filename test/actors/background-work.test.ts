import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ALARM_RUNS_IN_FLIGHT, backgroundWork } from "../../src/actors/capabilities/background-work";
import type { SubscriptionActor } from "../../src/actors/subscription/subscription-actor";
import { backdateOneDay } from "../backdate";
import { createCustomer, createPlan, invoicesOf, ok } from "../helpers";
import { eventually } from "../poll";

const HERD = 8;

describe("alarms wait for the isolate's background gate; requests do not", () => {
  it("answers a request while every permit is taken and renewal alarms wait, then renews each once", async () => {
    const customer = await createCustomer();
    const plan = await createPlan({ amount: 300, interval: "day" });
    const probe = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const herd: { id: string; stub: DurableObjectStub<SubscriptionActor> }[] = [];
    for (let i = 0; i < HERD; i++) {
      const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
      const stub = env.SUBSCRIPTIONS.getByName(subscription.id.slice(-16));
      await backdateOneDay(stub);
      herd.push({ id: subscription.id, stub });
    }

    // Every permit held by background work of the test's own, until the test lets it go.
    const letGo: (() => void)[] = [];
    const held = Array.from({ length: ALARM_RUNS_IN_FLIGHT }, () =>
      backgroundWork.run(() => new Promise<void>((resolve) => letGo.push(resolve))),
    );
    let renewed = 0;
    const alarms = herd.map(({ stub }) =>
      runDurableObjectAlarm(stub).then((ran) => {
        renewed++;
        return ran;
      }),
    );
    await eventually(
      () => backgroundWork.waiting,
      // (the alarms the creates armed, for their events and KV, may be waiting too)
      (waiting) => waiting >= HERD,
      { what: "every alarm to wait for a permit" },
    );

    // A request is answered while the gate is full and every alarm still waits.
    const answer = await ok("GET", `/v1/subscriptions/${probe.id}`);
    expect(answer.id).toBe(probe.id);
    expect(renewed).toBe(0);
    expect(backgroundWork.waiting).toBeGreaterThanOrEqual(HERD);

    // Let go: the alarms run, never more than the limit at once, and each renews.
    let mostInFlight = 0;
    const sampler = setInterval(() => {
      mostInFlight = Math.max(mostInFlight, backgroundWork.running);
    }, 1);
    for (const release of letGo) release();
    await Promise.all(held);
    expect(await Promise.all(alarms)).toEqual(herd.map(() => true));
    clearInterval(sampler);
    expect(mostInFlight).toBeGreaterThan(0);
    expect(mostInFlight).toBeLessThanOrEqual(ALARM_RUNS_IN_FLIGHT);
    // Every permit comes back (the alarms the renewals armed, for their events and KV, run too).
    await eventually(
      () => ({ running: backgroundWork.running, waiting: backgroundWork.waiting }),
      (gate) => gate.running === 0 && gate.waiting === 0,
      { what: "the gate to empty" },
    );

    // Waiting changed nothing of the billing: each renewed once, dated at its due time, paid once.
    for (const { id } of herd) {
      const invoices = await invoicesOf(id);
      expect(invoices.map((i) => [i.billing_reason, i.status, i.amount_paid])).toEqual([
        ["subscription_create", "paid", 300],
        ["subscription_cycle", "paid", 300],
      ]);
      expect(invoices[1].period_start).toBe(invoices[0].period_end);
    }
  });
});
