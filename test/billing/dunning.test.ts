import { describe, expect, it } from "vitest";
import { advance, api, invoicesOf, ok, paymentsOf, subscribeOnClock } from "../helpers";

// docs/billing-rules.md rule 9 (payments and retries) and rule 10 (immediate cancel), over HTTP on test
// clocks, under the default policy: BILLIFY_RETRY_DAYS unset (1,3,5,7) and
// BILLIFY_FINAL_ACTION unset (cancel).

const getSubscription = (id: string) => ok("GET", `/v1/subscriptions/${id}`);
const getInvoice = (id: string) => ok("GET", `/v1/invoices/${id}`);

/**
 * A subscription (monthly, 1000 usd unless `plan` says otherwise) started and paid with
 * pm_card_visa at 2026-01-01T00:00:00Z; then the customer's payment method becomes
 * `paymentMethod`, so its first renewal will fail. The clock is left at 2026-01-01.
 */
async function failedRenewal(
  paymentMethod: string | null = "pm_card_chargeDeclined",
  plan: Record<string, unknown> = {},
) {
  const ctx = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000, ...plan });
  expect(ctx.subscription.status).toBe("active");
  await ok("PATCH", `/v1/customers/${ctx.customer.id}`, { payment_method: paymentMethod });
  // Nothing was open, so the PATCH retried nothing.
  const afterPatch = await invoicesOf(ctx.subscription.id);
  expect(afterPatch).toHaveLength(1);
  expect(afterPatch[0].status).toBe("paid");
  expect(await paymentsOf(afterPatch[0].id)).toHaveLength(1);
  expect((await getSubscription(ctx.subscription.id)).status).toBe("active");
  return ctx;
}

async function renewalInvoice(subscriptionId: string) {
  const invoices = await invoicesOf(subscriptionId);
  expect(invoices).toHaveLength(2);
  return invoices[1];
}

describe("the retry ladder (default 1,3,5,7 days, final action cancel)", () => {
  it("retries a failed renewal at +0, +1 d, +4 d, +9 d and +16 d, then cancels the subscription and leaves the invoice open", async () => {
    const { clock, subscription } = await failedRenewal();
    await advance(clock.id, "2026-02-01T00:00:00Z");

    // Attempt 1 at the renewal itself.
    const invoice = await renewalInvoice(subscription.id);
    expect(invoice).toMatchObject({
      status: "open",
      billing_reason: "subscription_cycle",
      period_start: "2026-02-01T00:00:00Z",
      period_end: "2026-03-01T00:00:00Z",
      created: "2026-02-01T00:00:00Z",
      amount_due: 1000,
      amount_paid: 0,
      amount_remaining: 1000,
      attempt_count: 1,
      next_payment_attempt: "2026-02-02T00:00:00Z",
      paid_at: null,
    });
    const first = await paymentsOf(invoice.id);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      object: "payment",
      invoice: invoice.id,
      amount: 1000,
      currency: "usd",
      status: "failed",
      method: "card",
      failure_code: "card_declined",
      attempt: 1,
      reference: `fake_${invoice.id}:attempt:1`,
      created: "2026-02-01T00:00:00Z",
    });
    expect(first[0].id).toMatch(/^pay_/);
    const pastDue = await getSubscription(subscription.id);
    expect(pastDue).toMatchObject({
      status: "past_due",
      latest_invoice: invoice.id,
      current_period_start: "2026-02-01T00:00:00Z",
      current_period_end: "2026-03-01T00:00:00Z",
      canceled_at: null,
      ended_at: null,
    });

    // Each retry happens exactly at its time: one second before, nothing yet.
    const ladder = [
      { before: "2026-02-01T23:59:59Z", at: "2026-02-02T00:00:00Z", next: "2026-02-05T00:00:00Z" },
      { before: "2026-02-04T23:59:59Z", at: "2026-02-05T00:00:00Z", next: "2026-02-10T00:00:00Z" },
      { before: "2026-02-09T23:59:59Z", at: "2026-02-10T00:00:00Z", next: "2026-02-17T00:00:00Z" },
    ];
    let attempts = 1;
    for (const step of ladder) {
      await advance(clock.id, step.before);
      expect((await getInvoice(invoice.id)).attempt_count).toBe(attempts);
      expect(await paymentsOf(invoice.id)).toHaveLength(attempts);
      await advance(clock.id, step.at);
      attempts += 1;
      const now = await getInvoice(invoice.id);
      expect([now.status, now.attempt_count, now.next_payment_attempt]).toEqual(["open", attempts, step.next]);
      expect((await getSubscription(subscription.id)).status).toBe("past_due");
    }

    // Attempt 5, the last: the final action (cancel) runs at its time.
    await advance(clock.id, "2026-02-16T23:59:59Z");
    expect((await getSubscription(subscription.id)).status).toBe("past_due");
    await advance(clock.id, "2026-02-17T00:00:00Z");
    const canceled = await getSubscription(subscription.id);
    expect(canceled).toMatchObject({
      status: "canceled",
      ended_at: "2026-02-17T00:00:00Z",
      canceled_at: "2026-02-17T00:00:00Z",
    });
    const last = await getInvoice(invoice.id);
    expect(last).toMatchObject({
      status: "open",
      attempt_count: 5,
      next_payment_attempt: null,
      amount_paid: 0,
      amount_remaining: 1000,
      paid_at: null,
    });

    const payments = await paymentsOf(invoice.id);
    expect(payments.map((p) => [p.attempt, p.status, p.failure_code, p.method, p.amount, p.created])).toEqual([
      [1, "failed", "card_declined", "card", 1000, "2026-02-01T00:00:00Z"],
      [2, "failed", "card_declined", "card", 1000, "2026-02-02T00:00:00Z"],
      [3, "failed", "card_declined", "card", 1000, "2026-02-05T00:00:00Z"],
      [4, "failed", "card_declined", "card", 1000, "2026-02-10T00:00:00Z"],
      [5, "failed", "card_declined", "card", 1000, "2026-02-17T00:00:00Z"],
    ]);

    // Months later: no sixth attempt, no renewal invoice, still canceled at the same time.
    await advance(clock.id, "2026-06-15T00:00:00Z");
    expect(await paymentsOf(invoice.id)).toHaveLength(5);
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.id, i.status])).toEqual([
      [invoices[0].id, "paid"],
      [invoice.id, "open"],
    ]);
    expect(await getInvoice(invoice.id)).toMatchObject({ attempt_count: 5, next_payment_attempt: null });
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "canceled",
      ended_at: "2026-02-17T00:00:00Z",
    });
  });

  it("jumping over the whole ladder in one advance runs every attempt at its own time", async () => {
    const { clock, subscription } = await failedRenewal();
    await advance(clock.id, "2026-04-01T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices).toHaveLength(2);
    const payments = await paymentsOf(invoices[1].id);
    expect(payments.map((p) => [p.attempt, p.created])).toEqual([
      [1, "2026-02-01T00:00:00Z"],
      [2, "2026-02-02T00:00:00Z"],
      [3, "2026-02-05T00:00:00Z"],
      [4, "2026-02-10T00:00:00Z"],
      [5, "2026-02-17T00:00:00Z"],
    ]);
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "canceled",
      ended_at: "2026-02-17T00:00:00Z",
    });
    expect(invoices[1]).toMatchObject({ status: "open", attempt_count: 5, next_payment_attempt: null });
  });
});

describe("decline codes of the fake gateway (docs/billing-rules.md, Payment methods)", () => {
  const cases: [string | null, string][] = [
    ["pm_card_chargeDeclined", "card_declined"],
    ["pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"],
    [null, "no_payment_method"],
  ];
  for (const [paymentMethod, code] of cases) {
    it(`${paymentMethod ?? "no payment method"} fails with ${code}`, async () => {
      const { clock, customer, subscription } = await failedRenewal(paymentMethod);
      expect((await ok("GET", `/v1/customers/${customer.id}`)).payment_method).toBe(paymentMethod);
      await advance(clock.id, "2026-02-01T00:00:00Z");
      const invoice = await renewalInvoice(subscription.id);
      expect(invoice).toMatchObject({ status: "open", attempt_count: 1, next_payment_attempt: "2026-02-02T00:00:00Z" });
      const payments = await paymentsOf(invoice.id);
      expect(payments).toHaveLength(1);
      expect(payments[0]).toMatchObject({
        status: "failed",
        method: "card",
        failure_code: code,
        attempt: 1,
        amount: 1000,
      });
      expect(typeof payments[0].failure_message).toBe("string");
      expect(payments[0].failure_message.length).toBeGreaterThan(0);
      expect((await getSubscription(subscription.id)).status).toBe("past_due");
    });
  }
});

describe("recovery", () => {
  it("a new payment method mid-ladder pays the open invoice at once and stops its retries", async () => {
    const { clock, customer, subscription } = await failedRenewal();
    await advance(clock.id, "2026-02-02T00:00:00Z");
    const invoice = await renewalInvoice(subscription.id);
    expect(invoice).toMatchObject({ attempt_count: 2, next_payment_attempt: "2026-02-05T00:00:00Z" });

    await advance(clock.id, "2026-02-03T12:00:00Z");
    const patched = await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    expect(patched.payment_method).toBe("pm_card_visa");

    // Paid by the PATCH itself: attempt 3, at the clock's current time.
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "paid",
      attempt_count: 3,
      amount_paid: 1000,
      amount_remaining: 0,
      next_payment_attempt: null,
      paid_at: "2026-02-03T12:00:00Z",
    });
    const payments = await paymentsOf(invoice.id);
    expect(payments.map((p) => [p.attempt, p.status, p.failure_code, p.amount, p.created])).toEqual([
      [1, "failed", "card_declined", 1000, "2026-02-01T00:00:00Z"],
      [2, "failed", "card_declined", 1000, "2026-02-02T00:00:00Z"],
      [3, "succeeded", null, 1000, "2026-02-03T12:00:00Z"],
    ]);
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "active",
      ended_at: null,
      canceled_at: null,
    });

    // The remaining ladder dates (02-05, 02-10, 02-17) pass without another attempt.
    await advance(clock.id, "2026-02-20T00:00:00Z");
    expect(await paymentsOf(invoice.id)).toHaveLength(3);
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "paid",
      attempt_count: 3,
      next_payment_attempt: null,
    });
    expect((await getSubscription(subscription.id)).status).toBe("active");

    // And billing goes on normally with the new card.
    await advance(clock.id, "2026-03-01T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.period_start, i.status, i.attempt_count])).toEqual([
      ["2026-01-01T00:00:00Z", "paid", 1],
      ["2026-02-01T00:00:00Z", "paid", 3],
      ["2026-03-01T00:00:00Z", "paid", 1],
    ]);
    expect((await getSubscription(subscription.id)).status).toBe("active");
  });

  it("renewals keep running while past_due: the next period is invoiced and attempted", async () => {
    // Weekly, so a renewal falls inside the first invoice's ladder.
    const { clock, subscription } = await failedRenewal("pm_card_chargeDeclined", { interval: "week", amount: 700 });
    await advance(clock.id, "2026-01-08T00:00:00Z");
    const [, second] = await invoicesOf(subscription.id);
    expect(second).toMatchObject({
      period_start: "2026-01-08T00:00:00Z",
      attempt_count: 1,
      next_payment_attempt: "2026-01-09T00:00:00Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("past_due");

    await advance(clock.id, "2026-01-15T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices).toHaveLength(3);
    const third = invoices[2];
    expect(third).toMatchObject({
      billing_reason: "subscription_cycle",
      status: "open",
      period_start: "2026-01-15T00:00:00Z",
      period_end: "2026-01-22T00:00:00Z",
      amount_due: 700,
      attempt_count: 1,
      next_payment_attempt: "2026-01-16T00:00:00Z",
    });
    expect((await paymentsOf(third.id)).map((p) => [p.attempt, p.status, p.failure_code, p.amount, p.created])).toEqual(
      [[1, "failed", "card_declined", 700, "2026-01-15T00:00:00Z"]],
    );
    // The older invoice is on its own ladder: 01-08, 01-09, 01-12, next 01-17.
    expect(await getInvoice(second.id)).toMatchObject({
      status: "open",
      attempt_count: 3,
      next_payment_attempt: "2026-01-17T00:00:00Z",
    });
    expect((await paymentsOf(second.id)).map((p) => p.created)).toEqual([
      "2026-01-08T00:00:00Z",
      "2026-01-09T00:00:00Z",
      "2026-01-12T00:00:00Z",
    ]);
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "past_due",
      latest_invoice: third.id,
      current_period_start: "2026-01-15T00:00:00Z",
      current_period_end: "2026-01-22T00:00:00Z",
    });
  });

  it("paying one of two open invoices leaves the subscription past_due; paying both makes it active", async () => {
    const { clock, subscription } = await failedRenewal("pm_card_chargeDeclined", { interval: "week", amount: 700 });
    await advance(clock.id, "2026-01-15T06:00:00Z");
    const [, second, third] = await invoicesOf(subscription.id);
    expect([second.status, third.status]).toEqual(["open", "open"]);

    const p1 = await api("POST", `/v1/invoices/${second.id}/payments`, { amount: 700, reference: "cheque 1" });
    expect(p1.status).toBe(201);
    expect((await getInvoice(second.id)).status).toBe("paid");
    expect((await getSubscription(subscription.id)).status).toBe("past_due");

    const p2 = await api("POST", `/v1/invoices/${third.id}/payments`, { amount: 700, reference: "cheque 2" });
    expect(p2.status).toBe(201);
    expect((await getInvoice(third.id)).status).toBe("paid");
    expect((await getSubscription(subscription.id)).status).toBe("active");
  });

  it("a new payment method pays every open invoice of a past_due subscription at once", async () => {
    const { clock, customer, subscription } = await failedRenewal("pm_card_chargeDeclined", {
      interval: "week",
      amount: 700,
    });
    await advance(clock.id, "2026-01-15T06:00:00Z");
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    const invoices = await invoicesOf(subscription.id);
    expect(
      invoices.map((i) => [
        i.period_start,
        i.status,
        i.attempt_count,
        i.amount_paid,
        i.paid_at,
        i.next_payment_attempt,
      ]),
    ).toEqual([
      ["2026-01-01T00:00:00Z", "paid", 1, 700, "2026-01-01T00:00:00Z", null],
      ["2026-01-08T00:00:00Z", "paid", 4, 700, "2026-01-15T06:00:00Z", null],
      ["2026-01-15T00:00:00Z", "paid", 2, 700, "2026-01-15T06:00:00Z", null],
    ]);
    expect((await getSubscription(subscription.id)).status).toBe("active");
    await advance(clock.id, "2026-01-21T23:59:59Z");
    expect(await paymentsOf(invoices[1].id)).toHaveLength(4);
    expect(await paymentsOf(invoices[2].id)).toHaveLength(2);
  });

  it("a trial whose first invoice fails goes past_due and walks the ladder, not incomplete", async () => {
    const { clock, subscription } = await subscribeOnClock(
      "2026-01-01T00:00:00Z",
      { amount: 1500 },
      { trial_days: 7 },
      { payment_method: "pm_card_chargeDeclined" },
    );
    expect(subscription).toMatchObject({ status: "trialing", trial_end: "2026-01-08T00:00:00Z", latest_invoice: null });
    expect(await invoicesOf(subscription.id)).toEqual([]);

    await advance(clock.id, "2026-01-08T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({
      status: "open",
      amount_due: 1500,
      period_start: "2026-01-08T00:00:00Z",
      period_end: "2026-02-08T00:00:00Z",
      attempt_count: 1,
      next_payment_attempt: "2026-01-09T00:00:00Z",
    });
    expect(await getSubscription(subscription.id)).toMatchObject({ status: "past_due", ended_at: null });

    // Not the 23-hour incomplete rule: nothing is voided; the ladder goes on.
    await advance(clock.id, "2026-01-09T00:00:00Z");
    expect(await getInvoice(invoices[0].id)).toMatchObject({
      status: "open",
      attempt_count: 2,
      next_payment_attempt: "2026-01-12T00:00:00Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("past_due");
    await advance(clock.id, "2026-01-25T00:00:00Z");
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "canceled",
      ended_at: "2026-01-24T00:00:00Z",
    });
    expect((await paymentsOf(invoices[0].id)).map((p) => p.created)).toEqual([
      "2026-01-08T00:00:00Z",
      "2026-01-09T00:00:00Z",
      "2026-01-12T00:00:00Z",
      "2026-01-17T00:00:00Z",
      "2026-01-24T00:00:00Z",
    ]);
  });
});

describe("immediate cancel while past_due (rule 10)", () => {
  it("leaves the open invoice open and stops its retries", async () => {
    const { clock, subscription } = await failedRenewal();
    await advance(clock.id, "2026-02-03T09:30:00Z");
    const invoice = await renewalInvoice(subscription.id);
    expect(invoice).toMatchObject({ attempt_count: 2, next_payment_attempt: "2026-02-05T00:00:00Z" });

    const canceled = await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    expect(canceled).toMatchObject({
      status: "canceled",
      canceled_at: "2026-02-03T09:30:00Z",
      ended_at: "2026-02-03T09:30:00Z",
    });
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "open",
      attempt_count: 2,
      next_payment_attempt: null,
      amount_remaining: 1000,
    });

    await advance(clock.id, "2026-05-01T00:00:00Z");
    expect(await paymentsOf(invoice.id)).toHaveLength(2);
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "open",
      attempt_count: 2,
      next_payment_attempt: null,
    });
    // No credit and no invoice for the cancel, and no renewals after it.
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => i.id)).toEqual([invoices[0].id, invoice.id]);
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "canceled",
      credit_balance: 0,
      ended_at: "2026-02-03T09:30:00Z",
    });
  });
});

describe("exactly once on the clock (rule 11)", () => {
  it("two concurrent advances of one clock run each retry once", async () => {
    const { clock, subscription } = await failedRenewal();
    await advance(clock.id, "2026-02-01T00:00:00Z");
    const invoice = await renewalInvoice(subscription.id);
    const responses = await Promise.all(
      [1, 2].map(() => api("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-02-05T00:00:00Z" })),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of responses) expect([200, 400, 409]).toContain(r.status);
    expect((await ok("GET", `/v1/test_clocks/${clock.id}`)).frozen_time).toBe("2026-02-05T00:00:00Z");
    expect((await paymentsOf(invoice.id)).map((p) => [p.attempt, p.created])).toEqual([
      [1, "2026-02-01T00:00:00Z"],
      [2, "2026-02-02T00:00:00Z"],
      [3, "2026-02-05T00:00:00Z"],
    ]);
    expect(await getInvoice(invoice.id)).toMatchObject({
      attempt_count: 3,
      next_payment_attempt: "2026-02-10T00:00:00Z",
    });
  });
});
