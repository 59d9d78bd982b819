import { describe, expect, it } from "vitest";
import type { Invoice, InvoiceLine } from "../../src/contract/invoice";
import { advance, api, createPlan, invoicesOf, ok, subscribeOnClock } from "../helpers";

const lines = (invoice: Invoice) => invoice.lines.map((l: InvoiceLine) => [l.type, l.amount, l.description]);

/** A Basic 1000/month subscription from 2026-04-01 (a 30-day period), and a Pro 2000 plan. */
async function aprilSubscription(basic: Record<string, unknown> = {}) {
  const setup = await subscribeOnClock("2026-04-01T00:00:00Z", { name: "Basic", amount: 1000, ...basic });
  const pro = await createPlan({ name: "Pro", amount: 2000 });
  return { ...setup, pro };
}

describe("proration (rule 4)", () => {
  it("credits −500 and charges +1000 for a 1000 → 2000 upgrade at mid-period; next invoice 2500", async () => {
    const { clock, subscription, pro } = await aprilSubscription();
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: pro.id });
    expect(changed).toMatchObject({ plan: pro.id, invoice: null, current_period_end: "2026-05-01T00:00:00Z" });
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const [, next] = await invoicesOf(subscription.id);
    expect(lines(next)).toEqual([
      ["subscription", 2000, expect.stringContaining("Pro")],
      ["proration", -500, "Unused time on Basic after 2026-04-16"],
      ["proration", 1000, "Remaining time on Pro after 2026-04-16"],
    ]);
    expect(next).toMatchObject({
      subtotal: 2500,
      total: 2500,
      amount_due: 2500,
      status: "paid",
      billing_reason: "subscription_cycle",
    });
  });

  it("credits a short first period against its whole interval: paid 323, credited 161 (rules 4 and 6)", async () => {
    const { clock, subscription } = await subscribeOnClock(
      "2026-01-22T00:00:00Z",
      { name: "Basic", amount: 1000 },
      { billing_cycle_anchor: "2026-02-01T00:00:00Z" },
    );
    const pro = await createPlan({ name: "Pro", amount: 2000 });
    await advance(clock.id, "2026-01-27T00:00:00Z");
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: pro.id,
      proration_behavior: "always_invoice",
    });
    const [first, update] = await invoicesOf(subscription.id);
    // NOTE: first = round(1000 × 10 d / 31 d) = 323; f = 5 d / 31 d: −round(1000 f) = −161, +round(2000 f) = +323.
    expect(first.total).toBe(323);
    expect(changed.invoice.id).toBe(update.id);
    expect(lines(update)).toEqual([
      ["proration", -161, "Unused time on Basic after 2026-01-27"],
      ["proration", 323, "Remaining time on Pro after 2026-01-27"],
    ]);
    expect(update).toMatchObject({
      total: 162,
      period_start: "2026-01-27T00:00:00Z",
      period_end: "2026-02-01T00:00:00Z",
      billing_reason: "subscription_update",
    });
  });

  it("prorates to the second for an odd-second change against the formula", async () => {
    const { clock, subscription, customer } = await subscribeOnClock(
      "2026-05-01T00:00:00Z",
      { name: "Seat", amount: 1999 },
      { quantity: 3 },
    );
    const big = await createPlan({ name: "Big", amount: 4999 });
    // t − s = 1,234,567 s into a 31-day period (2,678,400 s): e − t = 1,443,833 s.
    await advance(clock.id, "2026-05-15T06:56:07Z");
    const preview = await ok("POST", `/v1/subscriptions/${subscription.id}/preview_change`, {
      plan: big.id,
      quantity: 2,
    });
    // NOTE: −round(1999 × 3 × 1443833 / 2678400) = −3233; +round(4999 × 2 × 1443833 / 2678400) = +5390
    expect(preview.lines.map((l: InvoiceLine) => l.amount)).toEqual([-3233, 5390]);
    expect(preview).toMatchObject({ invoiced_now: false, total: 2157 });
    const before = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(before.plan).not.toBe(big.id);
    await ok("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: big.id, quantity: 2 });
    await advance(clock.id, "2026-06-01T00:00:00Z");
    const [, next] = await invoicesOf(subscription.id);
    expect(next.lines.map((l: InvoiceLine) => l.amount)).toEqual([9998, -3233, 5390]);
    expect(next.total).toBe(12155);
    expect(customer.test_clock).toBe(clock.id);
  });

  it("invoices prorations at once with always_invoice (billing_reason subscription_update)", async () => {
    const { clock, subscription, pro } = await aprilSubscription();
    await advance(clock.id, "2026-04-16T00:00:00Z");
    await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: 250, description: "Setup" });
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: pro.id,
      proration_behavior: "always_invoice",
    });
    expect(changed.invoice).toMatchObject({
      billing_reason: "subscription_update",
      total: 750,
      amount_due: 750,
      status: "paid",
      period_start: "2026-04-16T00:00:00Z",
      period_end: "2026-05-01T00:00:00Z",
    });
    expect(changed.invoice.lines.map((l: InvoiceLine) => l.amount)).toEqual([-500, 1000, 250]);
    expect(changed.latest_invoice).toBe(changed.invoice.id);
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => i.total)).toEqual([1000, 750, 2000]);
  });

  it("makes no lines with proration_behavior none; the new price applies from the next period", async () => {
    const { clock, subscription, pro } = await aprilSubscription();
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const preview = await ok("POST", `/v1/subscriptions/${subscription.id}/preview_change`, {
      plan: pro.id,
      proration_behavior: "none",
    });
    expect(preview.lines).toEqual([]);
    await ok("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: pro.id, proration_behavior: "none" });
    await advance(clock.id, "2026-05-01T00:00:00Z");
    expect((await invoicesOf(subscription.id)).map((i) => i.total)).toEqual([1000, 2000]);
  });

  it("turns a downgrade into credit, applied to the next invoice (rule 8)", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { name: "Pro", amount: 2000 });
    const basic = await createPlan({ name: "Basic", amount: 1000 });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: basic.id,
      proration_behavior: "always_invoice",
    });
    // −1000 (unused Pro) + 500 (remaining Basic) = −500: paid at once, 500 becomes credit.
    expect(changed.invoice).toMatchObject({ total: -500, amount_due: 0, credit_applied: 0, status: "paid" });
    expect(changed.credit_balance).toBe(500);
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const [, , renewal] = await invoicesOf(subscription.id);
    expect(renewal).toMatchObject({
      total: 1000,
      credit_applied: 500,
      amount_due: 500,
      amount_paid: 500,
      status: "paid",
    });
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).credit_balance).toBe(0);
  });

  it("restarts the cycle on a monthly → yearly change and invoices the year at once (rule 5)", async () => {
    const { clock, subscription } = await aprilSubscription();
    const yearly = await createPlan({ name: "Annual", amount: 10000, interval: "year" });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: yearly.id });
    expect(changed).toMatchObject({
      billing_cycle_anchor: "2026-04-16T00:00:00Z",
      current_period_start: "2026-04-16T00:00:00Z",
      current_period_end: "2027-04-16T00:00:00Z",
    });
    expect(changed.invoice).toMatchObject({ billing_reason: "subscription_update", total: 9500, status: "paid" });
    expect(changed.invoice.lines.map((l: InvoiceLine) => [l.type, l.amount])).toEqual([
      ["proration", -500],
      ["subscription", 10000],
    ]);
    await advance(clock.id, "2027-04-16T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.period_start, i.total])).toEqual([
      ["2026-04-01T00:00:00Z", 1000],
      ["2026-04-16T00:00:00Z", 9500],
      ["2027-04-16T00:00:00Z", 10000],
    ]);
  });

  it("makes no credit line on an interval change with none, but still bills the new period", async () => {
    const { clock, subscription } = await aprilSubscription();
    const yearly = await createPlan({ name: "Annual", amount: 10000, interval: "year" });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: yearly.id,
      proration_behavior: "none",
    });
    expect(changed.invoice.lines.map((l: InvoiceLine) => [l.type, l.amount])).toEqual([["subscription", 10000]]);
  });

  it("refuses a plan in another currency, an inactive plan, and changes after the end", async () => {
    const { subscription } = await aprilSubscription();
    const euro = await createPlan({ currency: "eur" });
    const res = await api("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: euro.id });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "currency_mismatch", param: "plan" });
    const retired = await createPlan({ active: false });
    const inactive = await api("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: retired.id });
    expect(inactive.body.error).toMatchObject({ code: "plan_inactive", param: "plan" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    const ended = await api("POST", `/v1/subscriptions/${subscription.id}/change`, { quantity: 2 });
    expect(ended.status).toBe(400);
    expect(ended.body.error.code).toBe("invalid_status");
  });

  it("loses no write when two changes arrive at once", async () => {
    const { clock, subscription, pro } = await aprilSubscription();
    await advance(clock.id, "2026-04-16T00:00:00Z");
    await Promise.all([
      ok("POST", `/v1/subscriptions/${subscription.id}/change`, { quantity: 2 }),
      ok("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: pro.id }),
    ]);
    const sub = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(sub).toMatchObject({ plan: pro.id, quantity: 2 });
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const [, next] = await invoicesOf(subscription.id);
    // Whatever the order, the period ends as 2 × Pro: pending lines net to 4000 × ½ − 1000 × ½.
    expect(next.lines[0].amount).toBe(4000);
    expect(next.lines.slice(1).reduce((sum: number, l: InvoiceLine) => sum + l.amount, 0)).toBe(1500);
  });
});
