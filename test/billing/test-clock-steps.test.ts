import { describe, expect, it } from "vitest";
import { FakeGateway } from "../../src/payments/fake-gateway";
import type { ChargeRequest, PaymentGateway } from "../../src/payments/gateway";
import { advance, createClock, createCustomer, createPlan, invoicesOf, ok } from "../helpers";
import { useGateway } from "../payments/actor-gateway";

/**
 * The fake gateway, shared by several subscriptions, that records the order charges reach it
 * in and holds the first `together` charges until all of them have arrived: they meet only if
 * the clock runs those subscriptions at once (one after the other, the first would wait
 * alone). The fallback release keeps a clock that runs them one by one from hanging the suite;
 * `met` then says the charges never met.
 */
function meetingGateway(together: number): PaymentGateway & { order: string[]; met: () => boolean } {
  const fake = new FakeGateway();
  const order: string[] = [];
  let met = false;
  let released = false;
  let open!: () => void;
  const meeting = new Promise<void>((resolve) => {
    open = resolve;
  });
  let fallback: ReturnType<typeof setTimeout> | undefined;
  const release = () => {
    released = true;
    clearTimeout(fallback);
    open();
  };
  return {
    name: "meeting-test",
    order,
    met: () => met,
    async charge(request: ChargeRequest) {
      order.push(request.invoiceId);
      if (order.length === 1) fallback = setTimeout(release, 4_000);
      if (order.length === together && !released) {
        met = true;
        release();
      }
      if (order.length <= together) await meeting;
      return fake.charge(request);
    },
    refund: (request) => fake.refund(request),
  };
}

const periods = async (subscriptionId: string) =>
  (await invoicesOf(subscriptionId)).map((i) => [i.period_start, i.period_end, i.amount_due, i.amount_paid, i.status]);

describe("a test clock advance: one due time at a time, every subscription due then at once", () => {
  it("renews every subscription due at one instant once and together, and one due later only after them", async () => {
    const clock = await createClock("2026-03-01T00:00:00Z");
    const customer = await createCustomer({ test_clock: clock.id });
    const plan = await createPlan({ amount: 1200, interval: "month" });
    const atOnce = [];
    for (const quantity of [1, 2, 3]) {
      atOnce.push(await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id, quantity }));
    }
    await advance(clock.id, "2026-03-10T00:00:00Z");
    const later = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const gateway = meetingGateway(atOnce.length);
    for (const sub of [...atOnce, later]) await useGateway(sub.id, gateway);

    expect((await advance(clock.id, "2026-04-15T00:00:00Z")).frozen_time).toBe("2026-04-15T00:00:00Z");

    // The three renewals of 1 April reached the gateway together, each once, before the one of 10 April.
    expect(gateway.met()).toBe(true);
    const renewalOf = async (sub: { id: string }) => (await ok("GET", `/v1/subscriptions/${sub.id}`)).latest_invoice;
    const firstThree = await Promise.all(atOnce.map(renewalOf));
    expect([gateway.order.slice(0, 3).sort(), gateway.order.slice(3)]).toEqual([
      [...firstThree].sort(),
      [await renewalOf(later)],
    ]);
    for (const [i, sub] of atOnce.entries()) {
      const amount = 1200 * (i + 1);
      expect(await periods(sub.id)).toEqual([
        ["2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", amount, amount, "paid"],
        ["2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z", amount, amount, "paid"],
      ]);
    }
    expect(await periods(later.id)).toEqual([
      ["2026-03-10T00:00:00Z", "2026-04-10T00:00:00Z", 1200, 1200, "paid"],
      ["2026-04-10T00:00:00Z", "2026-05-10T00:00:00Z", 1200, 1200, "paid"],
    ]);
    // Each subscription's renewal events carry the simulated instant it ran at.
    for (const [sub, at] of [
      ...atOnce.map((s) => [s, "2026-04-01T00:00:00Z"] as const),
      [later, "2026-04-10T00:00:00Z"] as const,
    ]) {
      const events = (await ok("GET", `/v1/subscriptions/${sub.id}/events?limit=100`)).data as {
        type: string;
        created: string;
      }[];
      const paid = events.filter((e) => e.type === "invoice.paid").map((e) => e.created);
      expect([sub.id, paid]).toEqual([sub.id, [paid[0], at]]);
    }
  });
});
