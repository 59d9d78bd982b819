import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { CustomerActor } from "../../src/actors/customer/customer-actor";
import { customerStub, subscriptionStub } from "../../src/actors/stubs";
import { advance, createClock, createCustomer, createPlan, invoicesOf, ok } from "../helpers";

// A subscription charges its own versioned copy of the customer's payment details: the
// customer pushes every change (durably: the alarm retries a push until every subscription
// has it), and a renewal makes no call to the customer.

type Sql = DurableObjectStorage["sql"];

function copyOf(subscriptionId: string) {
  return runInDurableObject(subscriptionStub(env, subscriptionId)!, (_instance, state) =>
    state.storage.sql
      .exec<{ payment_method: string | null; payment_details_version: number | null }>(
        "SELECT payment_method, payment_details_version FROM subscription",
      )
      .one(),
  );
}

function owedPush(customerId: string) {
  return runInDurableObject(customerStub(env, customerId)!, (_instance, state) =>
    (state.storage.sql as Sql)
      .exec<{ key: string; value: number }>("SELECT key, value FROM _meta WHERE key LIKE 'payment_push%' ORDER BY key")
      .toArray(),
  );
}

async function twoSubscriptionsOnOneCustomer() {
  const clock = await createClock("2026-01-01T00:00:00Z");
  const customer = await createCustomer({ test_clock: clock.id, payment_method: "pm_card_visa" });
  const plan = await createPlan({ amount: 1200, interval: "month" });
  const first = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
  const second = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
  return { clock, customer, plan, first, second };
}

describe("the subscription's copy of the customer's payment details", () => {
  it("is taken when the subscription registers with its customer, and a renewal charges it without asking the customer", async () => {
    const { clock, customer, first } = await twoSubscriptionsOnOneCustomer();
    expect(await copyOf(first.id)).toEqual({ payment_method: "pm_card_visa", payment_details_version: 1 });
    // Change the customer's row behind the API's back (no push): a renewal that asked the
    // customer would charge the declining card; the copy still says visa.
    await runInDurableObject(customerStub(env, customer.id)!, (_instance, state) => {
      state.storage.sql.exec("UPDATE customer SET payment_method = 'pm_card_chargeDeclined'");
    });
    await advance(clock.id, "2026-02-01T00:00:00Z");
    const [, renewal] = await invoicesOf(first.id);
    expect(renewal).toMatchObject({ billing_reason: "subscription_cycle", status: "paid", amount_paid: 1200 });
  });

  it("follows every change of payment method, and a push that failed is delivered by the customer's alarm", async () => {
    const { clock, customer, first, second } = await twoSubscriptionsOnOneCustomer();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    // Every push from the customer fails for now (its subscriptions are unreachable).
    const real = await runInDurableObject(customerStub(env, customer.id)!, (instance: CustomerActor) => {
      const actor = instance as unknown as { env: typeof env };
      const saved = actor.env;
      actor.env = {
        ...saved,
        SUBSCRIPTIONS: {
          getByName: () => ({ paymentDetailsChanged: () => Promise.reject(new Error("unreachable")) }),
        } as unknown as typeof env.SUBSCRIPTIONS,
      };
      return saved;
    });
    const patched = await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
    expect(patched.payment_method).toBe("pm_card_chargeDeclined");
    expect(await owedPush(customer.id)).toEqual([
      { key: "payment_push", value: 2 },
      { key: "payment_push_retry", value: 1 },
    ]);
    expect(await copyOf(first.id)).toEqual({ payment_method: "pm_card_visa", payment_details_version: 1 });
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();

    // Reachable again: with no further request, the alarm pushes, and nothing is owed after.
    await runInDurableObject(customerStub(env, customer.id)!, (instance: CustomerActor) => {
      (instance as unknown as { env: typeof env }).env = real;
    });
    await runDurableObjectAlarm(customerStub(env, customer.id)!);
    expect(await owedPush(customer.id)).toEqual([]);
    for (const sub of [first, second])
      expect(await copyOf(sub.id)).toEqual({ payment_method: "pm_card_chargeDeclined", payment_details_version: 2 });

    await advance(clock.id, "2026-02-01T00:00:00Z");
    for (const sub of [first, second]) {
      const [, renewal] = await invoicesOf(sub.id);
      expect(renewal).toMatchObject({ status: "open", attempt_count: 1, amount_paid: 0 });
      const payments = await ok("GET", `/v1/invoices/${renewal.id}/payments`);
      expect(payments.data.map((p: { status: string; failure_code: string }) => [p.status, p.failure_code])).toEqual([
        ["failed", "card_declined"],
      ]);
    }
  });

  it("never goes back to an older version (a late or repeated push)", async () => {
    const { first } = await twoSubscriptionsOnOneCustomer();
    const stub = subscriptionStub(env, first.id)!;
    await stub.paymentDetailsChanged(first.id, { paymentMethod: "pm_new", gatewayCustomer: null, version: 5 }, false);
    await stub.paymentDetailsChanged(first.id, { paymentMethod: "pm_old", gatewayCustomer: null, version: 4 }, false);
    await stub.paymentDetailsChanged(first.id, { paymentMethod: "pm_new", gatewayCustomer: null, version: 5 }, false);
    expect(await copyOf(first.id)).toEqual({ payment_method: "pm_new", payment_details_version: 5 });
  });

  it("retries open invoices once per new version: a push repeated by the alarm makes no second attempt", async () => {
    const { clock, customer, first } = await twoSubscriptionsOnOneCustomer();
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
    await advance(clock.id, "2026-02-01T00:00:00Z");
    const [, renewal] = await invoicesOf(first.id);
    expect(renewal).toMatchObject({ status: "open", attempt_count: 1 });
    const stub = subscriptionStub(env, first.id)!;
    const declined = { paymentMethod: "pm_card_chargeDeclined", gatewayCustomer: null, version: 9 };
    await stub.paymentDetailsChanged(first.id, declined, true); // a new version: one attempt now
    await stub.paymentDetailsChanged(first.id, declined, true); // the same push again: none
    const payments = await ok("GET", `/v1/invoices/${renewal.id}/payments`);
    expect(payments.data.map((p: { attempt: number; status: string }) => [p.attempt, p.status])).toEqual([
      [1, "failed"],
      [2, "failed"],
    ]);
    expect(await ok("GET", `/v1/invoices/${renewal.id}`)).toMatchObject({ status: "open", attempt_count: 2 });
  });

  it("is read from the customer once, with its version, by a subscription made before copies existed", async () => {
    const { clock, customer, first } = await twoSubscriptionsOnOneCustomer();
    await runInDurableObject(subscriptionStub(env, first.id)!, (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE subscription SET payment_method = NULL, gateway_customer = NULL, payment_details_version = NULL",
      );
    });
    await ok("PATCH", `/v1/customers/${customer.id}`, { name: "Renamed" }); // version 2, no push owed
    expect(await owedPush(customer.id)).toEqual([]);
    await advance(clock.id, "2026-02-01T00:00:00Z");
    const [, renewal] = await invoicesOf(first.id);
    expect(renewal).toMatchObject({ status: "paid", amount_paid: 1200 });
    expect(await copyOf(first.id)).toEqual({ payment_method: "pm_card_visa", payment_details_version: 2 });
  });
});
