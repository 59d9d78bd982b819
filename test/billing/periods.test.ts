import { describe, expect, it } from "vitest";
import type { Invoice, InvoiceLine } from "../../src/contract/invoice";
import { advance, invoicesOf, ok, subscribeOnClock } from "../helpers";

const periods = (invoices: Invoice[]) => invoices.map((i) => [i.period_start, i.period_end]);

describe("billing periods from the anchor (rule 1)", () => {
  it("keeps a Jan 31 10:00 anchor for a year, clamping to each month's last day", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-01-31T10:00:00Z", { amount: 1000 });
    await advance(clock.id, "2027-01-31T10:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(periods(invoices)).toEqual([
      ["2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z"],
      ["2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z"],
      ["2026-03-31T10:00:00Z", "2026-04-30T10:00:00Z"],
      ["2026-04-30T10:00:00Z", "2026-05-31T10:00:00Z"],
      ["2026-05-31T10:00:00Z", "2026-06-30T10:00:00Z"],
      ["2026-06-30T10:00:00Z", "2026-07-31T10:00:00Z"],
      ["2026-07-31T10:00:00Z", "2026-08-31T10:00:00Z"],
      ["2026-08-31T10:00:00Z", "2026-09-30T10:00:00Z"],
      ["2026-09-30T10:00:00Z", "2026-10-31T10:00:00Z"],
      ["2026-10-31T10:00:00Z", "2026-11-30T10:00:00Z"],
      ["2026-11-30T10:00:00Z", "2026-12-31T10:00:00Z"],
      ["2026-12-31T10:00:00Z", "2027-01-31T10:00:00Z"],
      ["2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z"],
    ]);
    expect(invoices.every((i) => i.total === 1000 && i.status === "paid")).toBe(true);
    expect(invoices.map((i) => i.billing_reason)).toEqual([
      "subscription_create",
      ...Array(12).fill("subscription_cycle"),
    ]);
    expect(invoices.map((i) => i.number.split("-")[1])).toEqual(
      Array.from({ length: 13 }, (_, k) => String(k + 1).padStart(4, "0")),
    );
  });

  it("renews a Feb 29 yearly anchor on Feb 28, and on Feb 29 again in leap years", async () => {
    const { clock, subscription } = await subscribeOnClock("2028-02-29T12:00:00Z", { amount: 12000, interval: "year" });
    await advance(clock.id, "2032-03-01T00:00:00Z");
    expect(periods(await invoicesOf(subscription.id))).toEqual([
      ["2028-02-29T12:00:00Z", "2029-02-28T12:00:00Z"],
      ["2029-02-28T12:00:00Z", "2030-02-28T12:00:00Z"],
      ["2030-02-28T12:00:00Z", "2031-02-28T12:00:00Z"],
      ["2031-02-28T12:00:00Z", "2032-02-29T12:00:00Z"],
      ["2032-02-29T12:00:00Z", "2033-02-28T12:00:00Z"],
    ]);
  });

  it("renews weekly every 7 days and every 2 weeks for interval_count 2", async () => {
    const weekly = await subscribeOnClock("2026-03-02T09:30:00Z", { amount: 500, interval: "week" });
    await advance(weekly.clock.id, "2026-03-23T09:30:00Z");
    expect(periods(await invoicesOf(weekly.subscription.id))).toEqual([
      ["2026-03-02T09:30:00Z", "2026-03-09T09:30:00Z"],
      ["2026-03-09T09:30:00Z", "2026-03-16T09:30:00Z"],
      ["2026-03-16T09:30:00Z", "2026-03-23T09:30:00Z"],
      ["2026-03-23T09:30:00Z", "2026-03-30T09:30:00Z"],
    ]);
    const fortnightly = await subscribeOnClock("2026-03-02T00:00:00Z", {
      amount: 900,
      interval: "week",
      interval_count: 2,
    });
    await advance(fortnightly.clock.id, "2026-03-20T00:00:00Z");
    expect(periods(await invoicesOf(fortnightly.subscription.id))).toEqual([
      ["2026-03-02T00:00:00Z", "2026-03-16T00:00:00Z"],
      ["2026-03-16T00:00:00Z", "2026-03-30T00:00:00Z"],
    ]);
  });

  it("prorates a first period that ends at a later billing_cycle_anchor (rule 6)", async () => {
    const { clock, subscription } = await subscribeOnClock(
      "2026-01-10T00:00:00Z",
      { amount: 3000 },
      { billing_cycle_anchor: "2026-02-01T00:00:00Z" },
    );
    expect(subscription.billing_cycle_anchor).toBe("2026-02-01T00:00:00Z");
    expect(subscription.current_period_end).toBe("2026-02-01T00:00:00Z");
    await advance(clock.id, "2026-03-01T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    // NOTE: round(3000 × (Feb 1 − Jan 10) / (Feb 1 − Jan 1)) = round(3000 × 22 / 31) = 2129
    expect(invoices.map((i) => [i.period_start, i.period_end, i.total])).toEqual([
      ["2026-01-10T00:00:00Z", "2026-02-01T00:00:00Z", 2129],
      ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", 3000],
      ["2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", 3000],
    ]);
  });

  it("charges in full a first period whose billing_cycle_anchor is exactly one interval away (rule 6)", async () => {
    const { clock, subscription } = await subscribeOnClock(
      "2026-01-31T10:00:00Z",
      { amount: 1000 },
      { billing_cycle_anchor: "2026-02-28T10:00:00Z" },
    );
    await advance(clock.id, "2026-03-28T10:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.period_start, i.period_end, i.total, i.billing_reason])).toEqual([
      ["2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z", 1000, "subscription_create"],
      ["2026-02-28T10:00:00Z", "2026-03-28T10:00:00Z", 1000, "subscription_cycle"],
      ["2026-03-28T10:00:00Z", "2026-04-28T10:00:00Z", 1000, "subscription_cycle"],
    ]);
  });

  it("rejects a billing_cycle_anchor in the past or more than one interval away", async () => {
    const { customer, plan } = await subscribeOnClock("2026-01-10T00:00:00Z");
    for (const anchor of ["2026-01-09T00:00:00Z", "2026-02-11T00:00:00Z"]) {
      const res = await ok("POST", "/v1/subscriptions", {
        customer: customer.id,
        plan: plan.id,
        billing_cycle_anchor: anchor,
      }).catch((e: Error) => e.message);
      expect(res).toMatch(/400 .*"param":"billing_cycle_anchor"/);
    }
  });
});

describe("trials (rules 2 and 7)", () => {
  it("makes no invoice during the trial, then invoices the first period from the trial end", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-06-01T00:00:00Z", { amount: 1500, trial_days: 14 });
    expect(subscription).toMatchObject({
      status: "trialing",
      trial_start: "2026-06-01T00:00:00Z",
      trial_end: "2026-06-15T00:00:00Z",
      current_period_end: "2026-06-15T00:00:00Z",
      latest_invoice: null,
    });
    await advance(clock.id, "2026-06-14T00:00:00Z");
    expect(await invoicesOf(subscription.id)).toEqual([]);
    const events = await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`);
    const notice = events.data.find((e: { type: string; created: string }) => e.type === "subscription.trial_will_end");
    expect(notice.created).toBe("2026-06-12T00:00:00Z");
    await advance(clock.id, "2026-06-15T00:00:00Z");
    const sub = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(sub).toMatchObject({
      status: "active",
      billing_cycle_anchor: "2026-06-15T00:00:00Z",
      current_period_end: "2026-07-15T00:00:00Z",
    });
    const [first] = await invoicesOf(subscription.id);
    expect(first).toMatchObject({
      total: 1500,
      status: "paid",
      period_start: "2026-06-15T00:00:00Z",
      billing_reason: "subscription_cycle",
    });
  });

  it("applies a plan change made during the trial from the trial end, with no lines", async () => {
    const { clock, subscription } = await subscribeOnClock(
      "2026-06-01T00:00:00Z",
      { amount: 1000 },
      { trial_days: 10 },
    );
    const pro = await ok("POST", "/v1/plans", { name: "Pro", currency: "usd", amount: 4000, interval: "month" });
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: pro.id, quantity: 2 });
    expect(changed).toMatchObject({ status: "trialing", plan: pro.id, quantity: 2, invoice: null });
    await advance(clock.id, "2026-06-11T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices).toHaveLength(1);
    expect(invoices[0].lines.map((l: InvoiceLine) => [l.type, l.amount, l.quantity])).toEqual([
      ["subscription", 8000, 2],
    ]);
  });
});
