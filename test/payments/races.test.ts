import { describe, expect, it } from "vitest";
import { advance, api, ok, paymentsOf } from "../helpers";
import { incompleteSubscription, steerableGateway, useGateway } from "./actor-gateway";

/** An incomplete subscription whose /pay left an attempt pending at the gateway (Stripe `processing`). */
async function pendingAttempt(at = "2026-03-01T01:00:00Z") {
  const ctx = await incompleteSubscription("2026-03-01T00:00:00Z");
  const gateway = steerableGateway("pending");
  await useGateway(ctx.subscription.id, gateway);
  await advance(ctx.clock.id, at);
  const paid = await ok("POST", `/v1/invoices/${ctx.invoice.id}/pay`, {});
  expect(paid).toMatchObject({ status: "open", attempt_count: 2, amount_paid: 0 });
  expect((await paymentsOf(ctx.invoice.id)).map((p) => [p.attempt, p.status])).toEqual([
    [1, "failed"],
    [2, "pending"],
  ]);
  return { ...ctx, gateway };
}

describe("a pending attempt holds its invoice (docs/billing-rules.md rule 9)", () => {
  it("answers a manual payment, void and mark_uncollectible with 409 payment_pending, changing nothing", async () => {
    const { invoice } = await pendingAttempt();
    const attempts = [
      await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 2500, reference: "wire-1" }),
      await api("POST", `/v1/invoices/${invoice.id}/void`, {}),
      await api("POST", `/v1/invoices/${invoice.id}/mark_uncollectible`, {}),
    ];
    expect(attempts.map((a) => [a.status, a.body.error.type, a.body.error.code])).toEqual([
      [409, "conflict", "payment_pending"],
      [409, "conflict", "payment_pending"],
      [409, "conflict", "payment_pending"],
    ]);
    expect(await ok("GET", `/v1/invoices/${invoice.id}`)).toMatchObject({ status: "open", amount_paid: 0 });
  });

  it("lets the manual payment through once the attempt settles, and the invoice is paid once", async () => {
    const { invoice, gateway, clock } = await pendingAttempt();
    gateway.answer = "failed";
    await advance(clock.id, "2026-03-01T01:05:00Z"); // the reconcile job asks the gateway again
    expect((await paymentsOf(invoice.id)).map((p) => p.status)).toEqual(["failed", "failed"]);
    const manual = await api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 2500, reference: "wire-1" });
    expect(manual.status).toBe(201);
    expect(await ok("GET", `/v1/invoices/${invoice.id}`)).toMatchObject({
      status: "paid",
      amount_paid: 2500,
      amount_due: 2500,
    });
  });
});

describe("a success that arrives after the invoice closed", () => {
  it("is refunded through the gateway, shows refunded, and never reopens or pays the invoice", async () => {
    // Attempt at 22:58; the first invoice expires (void) at 23:00; the reconcile at 23:03 hears "succeeded".
    const { invoice, subscription, gateway, clock } = await pendingAttempt("2026-03-01T22:58:00Z");
    await advance(clock.id, "2026-03-01T23:01:00Z");
    expect(await ok("GET", `/v1/invoices/${invoice.id}`)).toMatchObject({ status: "void" });
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("incomplete_expired");
    gateway.answer = "succeeded";
    await advance(clock.id, "2026-03-01T23:10:00Z");
    expect(await ok("GET", `/v1/invoices/${invoice.id}`)).toMatchObject({
      status: "void",
      amount_paid: 0,
      paid_at: null,
    });
    const payments = await paymentsOf(invoice.id);
    expect(payments.map((p) => [p.attempt, p.status, p.amount])).toEqual([
      [1, "failed", 2500],
      [2, "refunded", 2500],
    ]);
    expect(gateway.refunds.map((r) => [r.chargeReference, r.amount, r.currency, r.idempotencyKey])).toEqual([
      [`pi_${invoice.id}:attempt:2`, 2500, "usd", `${invoice.id}:attempt:2:refund`],
    ]);
    // Nothing runs twice: more time, more reconciles and alarms refund nothing more.
    await advance(clock.id, "2026-03-03T00:00:00Z");
    expect(gateway.refunds).toHaveLength(1);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("incomplete_expired");
  });
});

describe("a storm of concurrent payments and closes on one invoice", () => {
  it("never pays it twice, never overpays it, and a closed invoice takes no money", async () => {
    for (const round of [0, 1, 2]) {
      const { invoice, customer } = await incompleteSubscription("2026-03-01T00:00:00Z");
      await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
      const requests = [
        ...Array.from({ length: 6 }, () => api("POST", `/v1/invoices/${invoice.id}/pay`, {})),
        ...Array.from({ length: 3 }, (_, i) =>
          api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 2500, reference: `wire-${round}-${i}` }),
        ),
        api("POST", `/v1/invoices/${invoice.id}/payments`, { amount: 1000, reference: `part-${round}` }),
        round === 0
          ? api("POST", `/v1/invoices/${invoice.id}/void`, {})
          : api("POST", `/v1/invoices/${invoice.id}/mark_uncollectible`, {}),
        ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" }).then(() => ({
          status: 200,
          body: {},
        })),
      ];
      const answers = await Promise.all(requests);
      for (const answer of answers) expect([200, 201, 400, 409]).toContain(answer.status);
      const after = await ok("GET", `/v1/invoices/${invoice.id}`);
      const payments = await paymentsOf(after.id);
      const collected = payments.filter((p) => p.status === "succeeded").reduce((sum, p) => sum + p.amount, 0);
      expect([round, after.amount_paid]).toEqual([round, collected]);
      expect(after.amount_paid).toBeLessThanOrEqual(after.amount_due);
      if (after.status === "paid") expect(after.amount_paid).toBe(after.amount_due);
      expect(payments.some((p) => p.status === "pending")).toBe(false);
    }
  });
});
