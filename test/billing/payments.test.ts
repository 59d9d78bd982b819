import { describe, expect, it } from "vitest";
import { advance, api, invoicesOf, ok, paymentsOf, subscribeOnClock } from "../helpers";

// The invoice payment endpoints (docs/billing-rules.md, Endpoints): manual payments, /pay, void, mark_uncollectible, and
// rule 11 (exactly once), over HTTP on test clocks under the default dunning policy.

const getSubscription = (id: string) => ok("GET", `/v1/subscriptions/${id}`);
const getInvoice = (id: string) => ok("GET", `/v1/invoices/${id}`);

let keys = 0;
const uniqueKey = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++keys}`;

function expect400(
  response: { status: number; body: { error: { type: string; code: string; message: string; param?: string } } },
  param?: string,
) {
  expect(response.status).toBe(400);
  expect(response.body.error.type).toBe("invalid_request_error");
  expect(typeof response.body.error.code).toBe("string");
  expect(typeof response.body.error.message).toBe("string");
  if (param !== undefined) expect(response.body.error.param).toBe(param);
}

/** A monthly 1000 usd subscription from 2026-01-01 whose first renewal (02-01) is declined: past_due. */
async function pastDue(paymentMethod = "pm_card_chargeDeclined") {
  const ctx = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000 });
  await ok("PATCH", `/v1/customers/${ctx.customer.id}`, { payment_method: paymentMethod });
  await advance(ctx.clock.id, "2026-02-01T00:00:00Z");
  const invoices = await invoicesOf(ctx.subscription.id);
  expect(invoices).toHaveLength(2);
  const invoice = invoices[1];
  expect(invoice).toMatchObject({ status: "open", attempt_count: 1, next_payment_attempt: "2026-02-02T00:00:00Z" });
  expect((await getSubscription(ctx.subscription.id)).status).toBe("past_due");
  return { ...ctx, paidInvoice: invoices[0], invoice };
}

describe("manual payments: POST /v1/invoices/{id}/payments", () => {
  it("takes a partial payment, retries only the rest, and a final payment makes the invoice paid and the subscription active", async () => {
    const { clock, subscription, invoice } = await pastDue();
    await advance(clock.id, "2026-02-01T12:00:00Z");

    const partial = await api("POST", `/v1/invoices/${invoice.id}/payments`, {
      amount: 400,
      reference: "wire 2026-02-01 #4411",
    });
    expect(partial.status).toBe(201);
    expect(partial.body).toMatchObject({
      object: "payment",
      invoice: invoice.id,
      amount: 400,
      currency: "usd",
      status: "succeeded",
      method: "manual",
      failure_code: null,
      reference: "wire 2026-02-01 #4411",
      created: "2026-02-01T12:00:00Z",
    });
    expect(partial.body.id).toMatch(/^pay_/);
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "open",
      amount_due: 1000,
      amount_paid: 400,
      amount_remaining: 600,
      paid_at: null,
      next_payment_attempt: "2026-02-02T00:00:00Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("past_due");

    // The scheduled card retry charges only what remains.
    await advance(clock.id, "2026-02-02T00:00:00Z");
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "open",
      attempt_count: 2,
      amount_paid: 400,
      amount_remaining: 600,
    });

    // More than what remains: 400 on `amount`, and nothing recorded.
    await advance(clock.id, "2026-02-03T08:00:00Z");
    expect400(
      await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 601, reference: "too much" }),
      "amount",
    );
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "open", amount_paid: 400, amount_remaining: 600 });

    const rest = await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 600, reference: "wire #2" });
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({
      amount: 600,
      method: "manual",
      status: "succeeded",
      reference: "wire #2",
      created: "2026-02-03T08:00:00Z",
    });
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "paid",
      amount_paid: 1000,
      amount_remaining: 0,
      next_payment_attempt: null,
      paid_at: "2026-02-03T08:00:00Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("active");

    const payments = await paymentsOf(invoice.id);
    expect(payments.map((p) => [p.method, p.status, p.amount, p.reference, p.created])).toEqual([
      ["card", "failed", 1000, `fake_${invoice.id}:attempt:1`, "2026-02-01T00:00:00Z"],
      ["manual", "succeeded", 400, "wire 2026-02-01 #4411", "2026-02-01T12:00:00Z"],
      ["card", "failed", 600, `fake_${invoice.id}:attempt:2`, "2026-02-02T00:00:00Z"],
      ["manual", "succeeded", 600, "wire #2", "2026-02-03T08:00:00Z"],
    ]);

    // On a paid invoice: 400, nothing recorded.
    expect400(await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 1, reference: "late" }));
    // The remaining ladder dates pass without an attempt.
    await advance(clock.id, "2026-02-20T00:00:00Z");
    expect(await paymentsOf(invoice.id)).toHaveLength(4);
    expect((await getSubscription(subscription.id)).status).toBe("active");
  });

  it("an idempotent replay records the payment once; another body under the same key is 422", async () => {
    const { invoice } = await pastDue();
    const key = uniqueKey("manual");
    const first = await api(
      "POST",
      `/v1/invoices/${invoice.id}/payments`,
      { amount: 300, reference: "cash" },
      { headers: { "Idempotency-Key": key } },
    );
    expect(first.status).toBe(201);
    const replay = await api(
      "POST",
      `/v1/invoices/${invoice.id}/payments`,
      { reference: "cash", amount: 300 },
      { headers: { "Idempotency-Key": key } },
    );
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    const other = await api(
      "POST",
      `/v1/invoices/${invoice.id}/payments`,
      { amount: 301, reference: "cash" },
      { headers: { "Idempotency-Key": key } },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.type).toBe("idempotency_error");
    expect(await getInvoice(invoice.id)).toMatchObject({ amount_paid: 300, amount_remaining: 700 });
    expect((await paymentsOf(invoice.id)).filter((p) => p.method === "manual")).toHaveLength(1);
  });

  it("two concurrent manual payments cannot together pay more than the amount remaining", async () => {
    const { subscription, invoice } = await pastDue();
    const responses = await Promise.all(
      ["a", "b"].map((reference) => api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 600, reference })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, 400]);
    expect(responses.find((r) => r.status === 400)!.body.error.param).toBe("amount");
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "open", amount_paid: 600, amount_remaining: 400 });
    expect((await getSubscription(subscription.id)).status).toBe("past_due");
  });

  it("rejects any manual payment on an invoice that was paid by card", async () => {
    const { subscription } = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000 });
    const [invoice] = await invoicesOf(subscription.id);
    expect(invoice.status).toBe("paid");
    expect400(await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 1000, reference: "double" }));
    expect(await paymentsOf(invoice.id)).toHaveLength(1);
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "paid", amount_paid: 1000 });
  });

  it("validates the body: amount is a positive integer, reference is required", async () => {
    const { invoice } = await pastDue();
    for (const body of [
      { amount: 0, reference: "x" },
      { amount: -5, reference: "x" },
      { amount: 10.5, reference: "x" },
      { amount: 100 },
      { reference: "x" },
      { amount: 100, reference: "x", extra: 1 },
    ]) {
      const response = await api("POST", `/v1/invoices/${invoice.id}/payments`, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(await paymentsOf(invoice.id)).toHaveLength(1);
    expect(await getInvoice(invoice.id)).toMatchObject({ amount_paid: 0, amount_remaining: 1000 });
  });
});

describe("POST /v1/invoices/{id}/pay", () => {
  it("on a paid invoice: 400 and no new payment row", async () => {
    const { subscription } = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000 });
    const [invoice] = await invoicesOf(subscription.id);
    expect(invoice).toMatchObject({ status: "paid", attempt_count: 1 });
    expect400(await api("POST", `/v1/invoices/${invoice.id}/pay`, {}));
    expect(await paymentsOf(invoice.id)).toHaveLength(1);
    expect(await getInvoice(invoice.id)).toMatchObject({ status: "paid", attempt_count: 1 });
  });

  it("a declined /pay counts as an attempt but never moves the retry schedule (rule 9)", async () => {
    const { clock, subscription, invoice } = await pastDue();
    await advance(clock.id, "2026-02-01T06:00:00Z");
    const paid = await api("POST", `/v1/invoices/${invoice.id}/pay`, {});
    expect(paid.status).toBe(200);
    // Attempt 2 (on request) failed at 06:00; the scheduled retry stays 1 day after attempt 1.
    expect(paid.body).toMatchObject({
      id: invoice.id,
      status: "open",
      attempt_count: 2,
      next_payment_attempt: "2026-02-02T00:00:00Z",
    });
    expect((await paymentsOf(invoice.id)).map((p) => [p.attempt, p.status, p.failure_code, p.created])).toEqual([
      [1, "failed", "card_declined", "2026-02-01T00:00:00Z"],
      [2, "failed", "card_declined", "2026-02-01T06:00:00Z"],
    ]);
    await advance(clock.id, "2026-02-02T00:00:00Z");
    // The second scheduled attempt ran on time; the next rung is 3 days after it.
    expect(await getInvoice(invoice.id)).toMatchObject({
      attempt_count: 3,
      next_payment_attempt: "2026-02-05T00:00:00Z",
    });
    expect((await paymentsOf(invoice.id)).map((p) => [p.attempt, p.created])).toEqual([
      [1, "2026-02-01T00:00:00Z"],
      [2, "2026-02-01T06:00:00Z"],
      [3, "2026-02-02T00:00:00Z"],
    ]);
    expect((await getSubscription(subscription.id)).status).toBe("past_due");
  });

  it("four /pay calls in a row do not run the ladder to its final action", async () => {
    const { subscription, invoice } = await pastDue();
    for (let i = 0; i < 4; i++) expect((await api("POST", `/v1/invoices/${invoice.id}/pay`, {})).status).toBe(200);
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "open",
      attempt_count: 5,
      next_payment_attempt: "2026-02-02T00:00:00Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("past_due");
  });

  it("succeeds after a card update on the open invoice of a canceled subscription (which the PATCH does not retry)", async () => {
    const { clock, customer, subscription, invoice } = await pastDue();
    await advance(clock.id, "2026-02-20T00:00:00Z");
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "canceled",
      ended_at: "2026-02-17T00:00:00Z",
    });
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "open",
      attempt_count: 5,
      next_payment_attempt: null,
    });

    await advance(clock.id, "2026-02-21T15:00:00Z");
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    // Only past_due, unpaid and incomplete subscriptions are retried by the PATCH.
    expect(await paymentsOf(invoice.id)).toHaveLength(5);
    expect((await getInvoice(invoice.id)).status).toBe("open");

    const paid = await api("POST", `/v1/invoices/${invoice.id}/pay`, {});
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({
      id: invoice.id,
      status: "paid",
      attempt_count: 6,
      amount_paid: 1000,
      amount_remaining: 0,
      next_payment_attempt: null,
      paid_at: "2026-02-21T15:00:00Z",
    });
    const payments = await paymentsOf(invoice.id);
    expect(payments).toHaveLength(6);
    expect(payments[5]).toMatchObject({
      attempt: 6,
      status: "succeeded",
      method: "card",
      amount: 1000,
      failure_code: null,
      created: "2026-02-21T15:00:00Z",
    });
    // Paying an old invoice does not bring a canceled subscription back.
    expect(await getSubscription(subscription.id)).toMatchObject({
      status: "canceled",
      ended_at: "2026-02-17T00:00:00Z",
    });

    expect400(await api("POST", `/v1/invoices/${invoice.id}/pay`, {}));
    expect(await paymentsOf(invoice.id)).toHaveLength(6);
  });

  it("404 for an unknown invoice", async () => {
    const response = await api("POST", "/v1/invoices/in_01JZZZZZZZZZZZZZZZZZZZZZZZ/pay", {});
    expect(response.status).toBe(404);
    expect(response.body.error.type).toBe("not_found");
  });
});

describe("void and mark_uncollectible", () => {
  for (const action of ["void", "mark_uncollectible"] as const) {
    const status = action === "void" ? "void" : "uncollectible";

    it(`${action} closes an open invoice as ${status} and stops its retries`, async () => {
      const { clock, subscription, invoice } = await pastDue();
      await advance(clock.id, "2026-02-02T10:00:00Z");
      expect(await getInvoice(invoice.id)).toMatchObject({
        attempt_count: 2,
        next_payment_attempt: "2026-02-05T00:00:00Z",
      });

      const closed = await api("POST", `/v1/invoices/${invoice.id}/${action}`, {});
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({
        id: invoice.id,
        status,
        next_payment_attempt: null,
        attempt_count: 2,
        amount_paid: 0,
        paid_at: null,
      });
      if (action === "void") expect(closed.body.voided_at).toBe("2026-02-02T10:00:00Z");
      // Void owes nothing; uncollectible still shows the debt (as Stripe).
      expect(closed.body.amount_remaining).toBe(action === "void" ? 0 : closed.body.amount_due);
      expect(await getInvoice(invoice.id)).toMatchObject({ status, next_payment_attempt: null });

      // Past every remaining ladder date: no new attempt.
      await advance(clock.id, "2026-02-28T00:00:00Z");
      expect(await paymentsOf(invoice.id)).toHaveLength(2);
      expect(await getInvoice(invoice.id)).toMatchObject({ status, attempt_count: 2, next_payment_attempt: null });
      // It is closed: no second close, no payment of either kind.
      expect400(await api("POST", `/v1/invoices/${invoice.id}/void`, {}));
      expect400(await api("POST", `/v1/invoices/${invoice.id}/mark_uncollectible`, {}));
      expect400(await api("POST", `/v1/invoices/${invoice.id}/pay`, {}));
      expect400(await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 100, reference: "late" }));
      expect(await paymentsOf(invoice.id)).toHaveLength(2);
      // The subscription was not canceled by the ladder (it stopped before attempt 5).
      expect((await getSubscription(subscription.id)).ended_at).toBeNull();
    });

    it(`${action} on a paid invoice is 400 and changes nothing`, async () => {
      const { subscription } = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 1000 });
      const [invoice] = await invoicesOf(subscription.id);
      expect400(await api("POST", `/v1/invoices/${invoice.id}/${action}`, {}));
      expect(await getInvoice(invoice.id)).toMatchObject({ status: "paid", amount_paid: 1000, voided_at: null });
    });
  }
});

describe("exactly once (rule 11)", () => {
  it("an idempotent replay of /pay makes one attempt and returns the first response", async () => {
    const { clock, invoice } = await pastDue();
    await advance(clock.id, "2026-02-01T05:00:00Z");
    const key = uniqueKey("pay");
    const first = await api("POST", `/v1/invoices/${invoice.id}/pay`, {}, { headers: { "Idempotency-Key": key } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "open", attempt_count: 2 });
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();

    const replay = await api("POST", `/v1/invoices/${invoice.id}/pay`, {}, { headers: { "Idempotency-Key": key } });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    expect(await paymentsOf(invoice.id)).toHaveLength(2);
    expect((await getInvoice(invoice.id)).attempt_count).toBe(2);
  });

  it("concurrent /pay calls with one Idempotency-Key make one attempt", async () => {
    const { clock, invoice } = await pastDue();
    await advance(clock.id, "2026-02-01T05:00:00Z");
    const key = uniqueKey("pay-concurrent");
    const responses = await Promise.all(
      [1, 2, 3].map(() => api("POST", `/v1/invoices/${invoice.id}/pay`, {}, { headers: { "Idempotency-Key": key } })),
    );
    for (const r of responses) expect([200, 409]).toContain(r.status);
    expect(responses.filter((r) => r.status === 200 && r.headers.get("Idempotent-Replayed") === null)).toHaveLength(1);
    expect(await paymentsOf(invoice.id)).toHaveLength(2);
  });

  it("two concurrent /pay calls on a declined invoice make at most one attempt each, none left pending", async () => {
    // Whether the second call finds the first attempt still open (and makes none) or already
    // declined (and makes its own, as two clicks in a row would) depends on timing; in either
    // case no call makes two attempts, and every attempt is counted and settled.
    const { clock, invoice } = await pastDue();
    await advance(clock.id, "2026-02-01T05:00:00Z");
    const responses = await Promise.all([1, 2].map(() => api("POST", `/v1/invoices/${invoice.id}/pay`, {})));
    for (const r of responses) expect(r.status).toBe(200);
    const payments = await paymentsOf(invoice.id);
    expect(payments.length).toBeGreaterThanOrEqual(2);
    expect(payments.length).toBeLessThanOrEqual(1 + responses.length);
    expect(payments.map((p) => p.attempt)).toEqual(payments.map((_, i) => i + 1));
    expect(payments.every((p) => p.status === "failed")).toBe(true);
    expect((await getInvoice(invoice.id)).attempt_count).toBe(payments.length);
  });

  it("two concurrent PATCHes of the payment method charge an open invoice exactly once", async () => {
    const { clock, customer, subscription, invoice } = await pastDue();
    await advance(clock.id, "2026-02-01T07:00:00Z");
    await Promise.all(
      [1, 2].map(() => ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" })),
    );
    const payments = await paymentsOf(invoice.id);
    expect(payments.map((p) => [p.attempt, p.status])).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "paid",
      attempt_count: 2,
      paid_at: "2026-02-01T07:00:00Z",
    });
    expect((await getSubscription(subscription.id)).status).toBe("active");
  });

  it("two concurrent /pay calls with a good card charge the invoice exactly once", async () => {
    const { clock, customer, subscription, invoice } = await pastDue();
    await advance(clock.id, "2026-02-01T05:00:00Z");
    // Cancel first, so that the PATCH below does not pay the invoice itself.
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    expect(await paymentsOf(invoice.id)).toHaveLength(1);

    const responses = await Promise.all([1, 2].map(() => api("POST", `/v1/invoices/${invoice.id}/pay`, {})));
    for (const r of responses) expect([200, 400]).toContain(r.status);
    const payments = await paymentsOf(invoice.id);
    expect(payments.filter((p) => p.status === "succeeded")).toHaveLength(1);
    expect(payments).toHaveLength(2);
    expect(await getInvoice(invoice.id)).toMatchObject({
      status: "paid",
      amount_paid: 1000,
      attempt_count: 2,
      paid_at: "2026-02-01T05:00:00Z",
    });
  });
});
