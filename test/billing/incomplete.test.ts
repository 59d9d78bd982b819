import { describe, expect, it } from "vitest";
import { eventually, kvSummary } from "../admin/read-model";
import { advance, api, invoicesOf, ok, paymentsOf, subscribeOnClock } from "../helpers";

// docs/billing-rules.md rule 9, "First invoice": a subscription without a trial whose first invoice fails
// is `incomplete`, is not retried on a schedule, and has 23 hours to be paid (a new payment
// method, /pay, or a manual payment) before the invoice is voided and the subscription
// becomes `incomplete_expired`, a final state.

const START = "2026-03-10T08:00:00Z";
const EXPIRES = "2026-03-11T07:00:00Z"; // START + 23 h

const getSubscription = (id: string) => ok("GET", `/v1/subscriptions/${id}`);
const getInvoice = (id: string) => ok("GET", `/v1/invoices/${id}`);

/** A monthly 1000 usd subscription created at START for a customer whose card is declined. */
async function incomplete(paymentMethod: string | null = "pm_card_chargeDeclined") {
  const ctx = await subscribeOnClock(START, { amount: 1000 }, {}, { payment_method: paymentMethod });
  const invoices = await invoicesOf(ctx.subscription.id);
  expect(invoices).toHaveLength(1);
  return { ...ctx, invoice: invoices[0] };
}

describe("a first invoice that fails", () => {
  it("makes the subscription incomplete: invoice open, one attempt, no retry scheduled", async () => {
    const { subscription, invoice } = await incomplete();
    expect(subscription).toMatchObject({
      status: "incomplete",
      latest_invoice: invoice.id,
      current_period_start: START,
      current_period_end: "2026-04-10T08:00:00Z",
      ended_at: null,
      canceled_at: null,
    });
    expect(invoice).toMatchObject({
      status: "open",
      billing_reason: "subscription_create",
      created: START,
      amount_due: 1000,
      amount_paid: 0,
      amount_remaining: 1000,
      attempt_count: 1,
      next_payment_attempt: null,
      voided_at: null,
    });
    expect(
      (await paymentsOf(invoice.id)).map((p) => [p.attempt, p.status, p.method, p.failure_code, p.amount, p.created]),
    ).toEqual([[1, "failed", "card", "card_declined", 1000, START]]);
  });

  for (const [paymentMethod, code] of [
    ["pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"],
    [null, "no_payment_method"],
  ] as const) {
    it(`is incomplete too when it fails with ${code}`, async () => {
      const { subscription, invoice } = await incomplete(paymentMethod);
      expect(subscription.status).toBe("incomplete");
      expect((await paymentsOf(invoice.id)).map((p) => [p.status, p.failure_code])).toEqual([["failed", code]]);
    });
  }

  it("is not retried on a schedule within the 23 hours", async () => {
    const { clock, subscription, invoice } = await incomplete();
    await advance(clock.id, "2026-03-11T06:59:59Z");
    expect(await paymentsOf(invoice.id)).toHaveLength(1);
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "open",
      attempt_count: 1,
      next_payment_attempt: null,
    });
    expect((await getSubscription(subscription.id)).status).toBe("incomplete");
  });
});

describe("paying within 23 hours makes it active", () => {
  it("by a new payment method at +2 h (the PATCH retries the invoice at once)", async () => {
    const { clock, customer, subscription, invoice } = await incomplete();
    await advance(clock.id, "2026-03-10T10:00:00Z");
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "paid",
      attempt_count: 2,
      amount_paid: 1000,
      amount_remaining: 0,
      paid_at: "2026-03-10T10:00:00Z",
      next_payment_attempt: null,
      voided_at: null,
    });
    expect((await paymentsOf(invoice.id)).map((p) => [p.attempt, p.status, p.created])).toEqual([
      [1, "failed", START],
      [2, "succeeded", "2026-03-10T10:00:00Z"],
    ]);
    expect(await getSubscription(subscription.id)).toMatchObject({ status: "active", ended_at: null });

    // The 23-hour mark passes harmlessly, and the next period renews and is paid.
    await advance(clock.id, "2026-04-10T08:00:00Z");
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "paid", voided_at: null });
    expect((await getSubscription(subscription.id)).status).toBe("active");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.billing_reason, i.period_start, i.status])).toEqual([
      ["subscription_create", START, "paid"],
      ["subscription_cycle", "2026-04-10T08:00:00Z", "paid"],
    ]);
  });

  it("by /pay: a declined /pay keeps it incomplete (no schedule, same deadline); after the card is updated /pay finds it paid", async () => {
    const { clock, customer, subscription, invoice } = await incomplete();
    await advance(clock.id, "2026-03-10T09:00:00Z");
    const declined = await api("POST", `/v1/invoices/${invoice.id}/pay`, {});
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ status: "open", attempt_count: 2, next_payment_attempt: null });
    expect((await getSubscription(subscription.id)).status).toBe("incomplete");

    await advance(clock.id, "2026-03-11T06:00:00Z");
    expect(await paymentsOf(invoice.id)).toHaveLength(2);
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "paid",
      attempt_count: 3,
      paid_at: "2026-03-11T06:00:00Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("active");
    // Never charged again.
    const again = await api("POST", `/v1/invoices/${invoice.id}/pay`, {});
    expect(again.status).toBe(400);
    expect(await paymentsOf(invoice.id)).toHaveLength(3);

    await advance(clock.id, "2026-03-12T00:00:00Z");
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "paid", voided_at: null });
    expect((await getSubscription(subscription.id)).status).toBe("active");
  });

  it("by a manual payment of the full amount one second before the deadline", async () => {
    const { clock, subscription, invoice } = await incomplete();
    await advance(clock.id, "2026-03-11T06:59:59Z");
    const payment = await api("POST", `/v1/invoices/${invoice.id}/payments`, {
      amount: 1000,
      reference: "bank transfer 778",
    });
    expect(payment.status).toBe(201);
    expect(payment.body).toMatchObject({
      method: "manual",
      status: "succeeded",
      amount: 1000,
      reference: "bank transfer 778",
      created: "2026-03-11T06:59:59Z",
    });
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "paid",
      amount_paid: 1000,
      amount_remaining: 0,
      paid_at: "2026-03-11T06:59:59Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("active");

    await advance(clock.id, "2026-03-11T08:00:00Z");
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "paid", voided_at: null });
    expect(await getSubscription(subscription.id)).toMatchObject({ status: "active", ended_at: null });
  });

  it("a partial manual payment is not enough: it stays incomplete", async () => {
    const { clock, subscription, invoice } = await incomplete();
    await advance(clock.id, "2026-03-10T12:00:00Z");
    expect(
      (await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 999, reference: "almost" })).status,
    ).toBe(201);
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "open", amount_paid: 999, amount_remaining: 1 });
    expect((await getSubscription(subscription.id)).status).toBe("incomplete");
  });
});

describe("not paid within 23 hours", () => {
  it("voids the invoice at created + 23 h and the subscription is incomplete_expired, a final state", async () => {
    const { clock, customer, subscription, invoice } = await incomplete();
    await advance(clock.id, "2026-03-11T06:59:59Z");
    expect((await getInvoice(invoice.id)).status).toBe("open");
    expect((await getSubscription(subscription.id)).status).toBe("incomplete");

    await advance(clock.id, EXPIRES);
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "void",
      voided_at: EXPIRES,
      next_payment_attempt: null,
      amount_paid: 0,
      attempt_count: 1,
      paid_at: null,
    });
    expect(await getSubscription(subscription.id)).toMatchObject({ status: "incomplete_expired", ended_at: EXPIRES });
    expect(await paymentsOf(invoice.id)).toHaveLength(1);

    // Final: it cannot be canceled, paid, revived by a new card, or renewed.
    const cancel = await api("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    expect(cancel.status).toBe(400);
    expect(cancel.body.error.type).toBe("invalid_request_error");
    expect((await api("POST", `/v1/invoices/${invoice.id}/pay`, {})).status).toBe(400);
    expect((await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 1000, reference: "late" })).status).toBe(
      400,
    );
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    expect(await paymentsOf(invoice.id)).toHaveLength(1);

    await advance(clock.id, "2026-07-01T00:00:00Z");
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "void", voided_at: EXPIRES });
    expect(await getSubscription(subscription.id)).toMatchObject({ status: "incomplete_expired", ended_at: EXPIRES });
  });

  it("expires on time when the clock jumps far past the deadline in one advance", async () => {
    const { clock, subscription, invoice } = await incomplete();
    await advance(clock.id, "2026-05-01T00:00:00Z");
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "void", voided_at: EXPIRES });
    expect(await getSubscription(subscription.id)).toMatchObject({ status: "incomplete_expired", ended_at: EXPIRES });
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
  });
});

describe("the read model follows the expiry", () => {
  it("shows incomplete_expired in KV once the first invoice expires", async () => {
    const { clock, subscription } = await subscribeOnClock(
      "2026-03-10T08:00:00Z",
      { amount: 1000 },
      {},
      { payment_method: "pm_card_chargeDeclined" },
    );
    await advance(clock.id, "2026-03-11T08:00:00Z");
    const summary = await eventually(
      () => kvSummary(subscription.id),
      (s) => s?.status === "incomplete_expired",
    );
    expect(summary).toMatchObject({ status: "incomplete_expired", id: subscription.id });
  });
});

describe("a renewal that falls due while incomplete (rule 9)", () => {
  // Created at START with a billing_cycle_anchor 12 h away: a 12 h first period of the
  // 28-day interval [Feb 10 20:00, Mar 10 20:00), charged round(1000 × 12 / 672) = 18.
  const ANCHOR = "2026-03-10T20:00:00Z";
  async function incompleteNearAnchor() {
    const ctx = await subscribeOnClock(
      START,
      { amount: 1000 },
      { billing_cycle_anchor: ANCHOR },
      { payment_method: "pm_card_chargeDeclined" },
    );
    expect(ctx.subscription).toMatchObject({ status: "incomplete", current_period_end: ANCHOR });
    const [first] = await invoicesOf(ctx.subscription.id);
    expect(first).toMatchObject({ total: 18, amount_due: 18, status: "open" });
    return { ...ctx, first };
  }

  it("is held: no invoice at the anchor, and at 23 h the first invoice is voided and nothing else is billed", async () => {
    const { clock, subscription, first } = await incompleteNearAnchor();
    await advance(clock.id, "2026-03-10T22:00:00Z");
    expect((await invoicesOf(subscription.id)).map((i) => i.id)).toEqual([first.id]);
    expect(await getSubscription(subscription.id)).toMatchObject({ status: "incomplete", current_period_end: ANCHOR });
    await advance(clock.id, "2026-03-12T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.id, i.status, i.voided_at, i.attempt_count])).toEqual([
      [first.id, "void", EXPIRES, 1],
    ]);
    expect(await getSubscription(subscription.id)).toMatchObject({ status: "incomplete_expired", ended_at: EXPIRES });
    expect(await paymentsOf(first.id)).toHaveLength(1);
  });

  it("is invoiced at once, after the first invoice, when a new card pays the first invoice", async () => {
    const { clock, customer, subscription, first } = await incompleteNearAnchor();
    await advance(clock.id, "2026-03-10T22:00:00Z");
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    const invoices = await invoicesOf(subscription.id);
    expect(
      invoices.map((i) => [i.billing_reason, i.status, i.total, i.period_start, i.period_end, i.created, i.paid_at]),
    ).toEqual([
      ["subscription_create", "paid", 18, START, ANCHOR, START, "2026-03-10T22:00:00Z"],
      [
        "subscription_cycle",
        "paid",
        1000,
        ANCHOR,
        "2026-04-10T20:00:00Z",
        "2026-03-10T22:00:00Z",
        "2026-03-10T22:00:00Z",
      ],
    ]);
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "active",
      current_period_start: ANCHOR,
      current_period_end: "2026-04-10T20:00:00Z",
      latest_invoice: invoices[1].id,
    });
    // The cycle goes on from the anchor.
    await advance(clock.id, "2026-04-10T20:00:00Z");
    expect((await invoicesOf(subscription.id)).map((i) => [i.period_start, i.total])).toEqual([
      [START, 18],
      [ANCHOR, 1000],
      ["2026-04-10T20:00:00Z", 1000],
    ]);
    expect(first.number.endsWith("-0001")).toBe(true);
  });

  it("is attempted like any renewal once a manual payment settles the first invoice (a declined card makes it past_due)", async () => {
    const { clock, subscription, first } = await incompleteNearAnchor();
    await advance(clock.id, "2026-03-10T21:00:00Z");
    await ok("POST", `/v1/invoices/${first.id}/payments`, { amount: 18, reference: "wire-1" });
    const [, renewal] = await invoicesOf(subscription.id);
    expect(renewal).toMatchObject({
      billing_reason: "subscription_cycle",
      status: "open",
      total: 1000,
      attempt_count: 1,
      created: "2026-03-10T21:00:00Z",
      next_payment_attempt: "2026-03-11T21:00:00Z",
    });
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "past_due",
      current_period_end: "2026-04-10T20:00:00Z",
    });
  });
});
