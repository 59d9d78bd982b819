import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advance, invoicesOf, ok, paymentsOf, subscribeOnClock } from "../helpers";

// docs/billing-rules.md rule 9 with BILLIFY_FINAL_ACTION=past_due (retry days unset: 1,3,5,7). Runs only
// under a vitest project whose bindings set that policy; the first test fails loudly otherwise.

const getSubscription = (id: string) => ok("GET", `/v1/subscriptions/${id}`);
const getInvoice = (id: string) => ok("GET", `/v1/invoices/${id}`);

/** A monthly 1000 usd subscription from 2026-01-01 whose card is declined from the first renewal on. */
async function declinedFromFebruary() {
  const ctx = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000 });
  await ok("PATCH", `/v1/customers/${ctx.customer.id}`, { payment_method: "pm_card_chargeDeclined" });
  return ctx;
}

describe("final action past_due", () => {
  it("runs under BILLIFY_FINAL_ACTION=past_due", () => {
    expect(env.BILLIFY_FINAL_ACTION).toBe("past_due");
  });

  it("after the fifth failed attempt the subscription stays past_due and the invoice open, with no more attempts", async () => {
    const { clock, subscription } = await declinedFromFebruary();
    await advance(clock.id, "2026-02-17T00:00:00Z");
    const [, invoice] = await invoicesOf(subscription.id);
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "past_due",
      canceled_at: null,
      ended_at: null,
    });
    expect(invoice).toMatchObject({
      status: "open",
      attempt_count: 5,
      next_payment_attempt: null,
      amount_remaining: 1000,
    });
    expect((await paymentsOf(invoice.id)).map((p) => [p.attempt, p.status, p.failure_code, p.created])).toEqual([
      [1, "failed", "card_declined", "2026-02-01T00:00:00Z"],
      [2, "failed", "card_declined", "2026-02-02T00:00:00Z"],
      [3, "failed", "card_declined", "2026-02-05T00:00:00Z"],
      [4, "failed", "card_declined", "2026-02-10T00:00:00Z"],
      [5, "failed", "card_declined", "2026-02-17T00:00:00Z"],
    ]);
    await advance(clock.id, "2026-02-28T23:59:59Z");
    expect(await paymentsOf(invoice.id)).toHaveLength(5);
    expect((await getSubscription(subscription.id)).status).toBe("past_due");
  });

  it("renewals go on and each new invoice walks its own ladder", async () => {
    const { clock, subscription } = await declinedFromFebruary();
    await advance(clock.id, "2026-03-01T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices).toHaveLength(3);
    const [, feb, march] = invoices;
    expect(feb).toMatchObject({ status: "open", attempt_count: 5, next_payment_attempt: null });
    expect(march).toMatchObject({
      billing_reason: "subscription_cycle",
      period_start: "2026-03-01T00:00:00Z",
      status: "open",
      attempt_count: 1,
      next_payment_attempt: "2026-03-02T00:00:00Z",
    });
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "past_due",
      latest_invoice: march.id,
      ended_at: null,
    });

    await advance(clock.id, "2026-03-20T00:00:00Z");
    expect((await paymentsOf(march.id)).map((p) => p.created)).toEqual([
      "2026-03-01T00:00:00Z",
      "2026-03-02T00:00:00Z",
      "2026-03-05T00:00:00Z",
      "2026-03-10T00:00:00Z",
      "2026-03-17T00:00:00Z",
    ]);
    expect(await paymentsOf(feb.id)).toHaveLength(5);
    expect(await getInvoice(march.id)).toMatchObject({ status: "open", attempt_count: 5, next_payment_attempt: null });
    expect((await getSubscription(subscription.id)).status).toBe("past_due");
  });

  it("a new payment method pays every open invoice and the subscription is active", async () => {
    const { clock, customer, subscription } = await declinedFromFebruary();
    await advance(clock.id, "2026-03-03T12:00:00Z");
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.period_start, i.status, i.attempt_count, i.paid_at, i.next_payment_attempt])).toEqual(
      [
        ["2026-01-01T00:00:00Z", "paid", 1, "2026-01-01T00:00:00Z", null],
        ["2026-02-01T00:00:00Z", "paid", 6, "2026-03-03T12:00:00Z", null],
        ["2026-03-01T00:00:00Z", "paid", 3, "2026-03-03T12:00:00Z", null],
      ],
    );
    expect((await getSubscription(subscription.id)).status).toBe("active");
    await advance(clock.id, "2026-03-25T00:00:00Z");
    expect(await paymentsOf(invoices[2].id)).toHaveLength(3);
  });
});
