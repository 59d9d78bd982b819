import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advance, api, invoicesOf, ok, paymentsOf, subscribeOnClock } from "../helpers";

// docs/billing-rules.md rule 9 with BILLIFY_FINAL_ACTION=unpaid (retry days unset: 1,3,5,7). Runs only
// under a vitest project whose bindings set that policy; the first test fails loudly otherwise.

const getSubscription = (id: string) => ok("GET", `/v1/subscriptions/${id}`);
const getInvoice = (id: string) => ok("GET", `/v1/invoices/${id}`);

/**
 * A monthly 1000 usd subscription from 2026-01-01 (paid by card), whose card is declined from
 * then on; the clock runs through the first renewal's whole ladder (02-01 … 02-17).
 */
async function unpaid() {
  const ctx = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000 });
  await ok("PATCH", `/v1/customers/${ctx.customer.id}`, { payment_method: "pm_card_chargeDeclined" });
  await advance(ctx.clock.id, "2026-02-16T23:59:59Z");
  expect((await getSubscription(ctx.subscription.id)).status).toBe("past_due");
  await advance(ctx.clock.id, "2026-02-17T00:00:00Z");
  const invoices = await invoicesOf(ctx.subscription.id);
  expect(invoices).toHaveLength(2);
  return { ...ctx, invoice: invoices[1] };
}

describe("final action unpaid", () => {
  it("runs under BILLIFY_FINAL_ACTION=unpaid", () => {
    expect(env.BILLIFY_FINAL_ACTION).toBe("unpaid");
  });

  it("after the fifth failed attempt the subscription is unpaid, not ended, and the invoice stays open", async () => {
    const { clock, subscription, invoice } = await unpaid();
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "unpaid",
      canceled_at: null,
      ended_at: null,
    });
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "open",
      attempt_count: 5,
      next_payment_attempt: null,
      amount_remaining: 1000,
    });
    expect((await paymentsOf(invoice.id)).map((p) => [p.attempt, p.status, p.created])).toEqual([
      [1, "failed", "2026-02-01T00:00:00Z"],
      [2, "failed", "2026-02-02T00:00:00Z"],
      [3, "failed", "2026-02-05T00:00:00Z"],
      [4, "failed", "2026-02-10T00:00:00Z"],
      [5, "failed", "2026-02-17T00:00:00Z"],
    ]);
    await advance(clock.id, "2026-02-28T00:00:00Z");
    expect(await paymentsOf(invoice.id)).toHaveLength(5);
    expect((await getSubscription(subscription.id)).status).toBe("unpaid");
  });

  it("later renewal invoices are made and finalized but not attempted", async () => {
    const { clock, subscription, invoice } = await unpaid();
    await advance(clock.id, "2026-04-15T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(
      invoices.map((i) => [
        i.billing_reason,
        i.period_start,
        i.status,
        i.amount_due,
        i.attempt_count,
        i.next_payment_attempt,
      ]),
    ).toEqual([
      ["subscription_create", "2026-01-01T00:00:00Z", "paid", 1000, 1, null],
      ["subscription_cycle", "2026-02-01T00:00:00Z", "open", 1000, 5, null],
      ["subscription_cycle", "2026-03-01T00:00:00Z", "open", 1000, 0, null],
      ["subscription_cycle", "2026-04-01T00:00:00Z", "open", 1000, 0, null],
    ]);
    expect(invoices[2].finalized_at).toBe("2026-03-01T00:00:00Z");
    expect(await paymentsOf(invoices[2].id)).toEqual([]);
    expect(await paymentsOf(invoices[3].id)).toEqual([]);
    expect(await paymentsOf(invoice.id)).toHaveLength(5);
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "unpaid",
      current_period_start: "2026-04-01T00:00:00Z",
      latest_invoice: invoices[3].id,
    });
  });

  it("a new payment method pays every open invoice at once and the subscription is active; renewals are attempted again", async () => {
    const { clock, customer, subscription } = await unpaid();
    await advance(clock.id, "2026-03-05T10:00:00Z");
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.period_start, i.status, i.attempt_count, i.paid_at])).toEqual([
      ["2026-01-01T00:00:00Z", "paid", 1, "2026-01-01T00:00:00Z"],
      ["2026-02-01T00:00:00Z", "paid", 6, "2026-03-05T10:00:00Z"],
      ["2026-03-01T00:00:00Z", "paid", 1, "2026-03-05T10:00:00Z"],
    ]);
    expect((await getSubscription(subscription.id)).status).toBe("active");

    await advance(clock.id, "2026-04-01T00:00:00Z");
    const [, , , april] = await invoicesOf(subscription.id);
    expect(april).toMatchObject({
      period_start: "2026-04-01T00:00:00Z",
      status: "paid",
      attempt_count: 1,
      paid_at: "2026-04-01T00:00:00Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("active");
  });

  it("manual payments: active only once no invoice is left open", async () => {
    const { clock, subscription, invoice } = await unpaid();
    await advance(clock.id, "2026-03-02T00:00:00Z");
    const [, , march] = await invoicesOf(subscription.id);
    expect(march.status).toBe("open");

    expect((await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 1000, reference: "r1" })).status).toBe(
      201,
    );
    expect((await getInvoice(invoice.id)).status).toBe("paid");
    expect((await getSubscription(subscription.id)).status).toBe("unpaid");

    expect((await api("POST", `/v1/invoices/${march.id}/payments`, { amount: 1000, reference: "r2" })).status).toBe(
      201,
    );
    expect((await getInvoice(march.id)).status).toBe("paid");
    expect((await getSubscription(subscription.id)).status).toBe("active");
  });

  it("a declined /pay while unpaid does not start automatic retries", async () => {
    const { clock, subscription } = await unpaid();
    await advance(clock.id, "2026-03-02T00:00:00Z");
    const [, , march] = await invoicesOf(subscription.id);
    const paid = await api("POST", `/v1/invoices/${march.id}/pay`, {});
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: "open", attempt_count: 1, next_payment_attempt: null });
    await advance(clock.id, "2026-03-25T00:00:00Z");
    expect(await paymentsOf(march.id)).toHaveLength(1);
    expect(await getInvoice(march.id)).toMatchObject({ status: "open", attempt_count: 1, next_payment_attempt: null });
    expect((await getSubscription(subscription.id)).status).toBe("unpaid");
  });

  it("a new card that is declined too while unpaid does not start automatic retries", async () => {
    const { clock, customer, subscription } = await unpaid();
    await advance(clock.id, "2026-03-02T00:00:00Z");
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclinedInsufficientFunds" });
    const [, feb, march] = await invoicesOf(subscription.id);
    expect((await paymentsOf(feb.id)).at(-1)).toMatchObject({
      attempt: 6,
      failure_code: "insufficient_funds",
      created: "2026-03-02T00:00:00Z",
    });
    expect((await paymentsOf(march.id)).map((p) => [p.attempt, p.failure_code])).toEqual([[1, "insufficient_funds"]]);
    await advance(clock.id, "2026-03-25T00:00:00Z");
    expect(await paymentsOf(feb.id)).toHaveLength(6);
    expect(await paymentsOf(march.id)).toHaveLength(1);
    expect((await getInvoice(march.id)).next_payment_attempt).toBeNull();
    expect((await getSubscription(subscription.id)).status).toBe("unpaid");
  });
});
