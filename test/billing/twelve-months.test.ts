import { describe, expect, it } from "vitest";
import type { InvoiceLine } from "../../src/contract/invoice";
import { advance, createPlan, invoicesOf, ok, subscribeOnClock } from "../helpers";

describe("a year on a test clock with an upgrade, a quantity change and a downgrade", () => {
  it("gives contiguous, gapless, exactly priced invoices", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-01-15T00:00:00Z", { name: "Basic", amount: 1000 });
    const basicId = subscription.plan;
    const pro = await createPlan({ name: "Pro", amount: 3000 });
    const sub = (path: string, body: unknown) => ok("POST", `/v1/subscriptions/${subscription.id}/${path}`, body);

    // Mid-period of [02-15, 03-15) (28 days): upgrade, prorations left pending.
    await advance(clock.id, "2026-03-01T00:00:00Z");
    await sub("change", { plan: pro.id });
    // 5.5 days into [05-15, 06-15) (31 days), three seats, invoiced at once:
    // NOTE: −round(3000 × 2,203,200 / 2,678,400) = −2468; +round(9000 × 2,203,200 / 2,678,400) = +7403
    await advance(clock.id, "2026-05-20T12:00:00Z");
    const seats = await sub("change", { quantity: 3, proration_behavior: "always_invoice" });
    expect(seats.invoice.lines.map((l: InvoiceLine) => l.amount)).toEqual([-2468, 7403]);
    // 14 days before the end of [07-15, 08-15) (31 days): back to Basic, three seats.
    // NOTE: −round(9000 × 1,209,600 / 2,678,400) = −4065; +round(3000 × 1,209,600 / 2,678,400) = +1355
    await advance(clock.id, "2026-08-01T00:00:00Z");
    await sub("change", { plan: basicId });
    await advance(clock.id, "2027-01-15T00:00:00Z");

    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.billing_reason, i.period_start, i.period_end, i.total, i.status])).toEqual([
      ["subscription_create", "2026-01-15T00:00:00Z", "2026-02-15T00:00:00Z", 1000, "paid"],
      ["subscription_cycle", "2026-02-15T00:00:00Z", "2026-03-15T00:00:00Z", 1000, "paid"],
      ["subscription_cycle", "2026-03-15T00:00:00Z", "2026-04-15T00:00:00Z", 3000 - 500 + 1500, "paid"],
      ["subscription_cycle", "2026-04-15T00:00:00Z", "2026-05-15T00:00:00Z", 3000, "paid"],
      ["subscription_cycle", "2026-05-15T00:00:00Z", "2026-06-15T00:00:00Z", 3000, "paid"],
      ["subscription_update", "2026-05-20T12:00:00Z", "2026-06-15T00:00:00Z", 4935, "paid"],
      ["subscription_cycle", "2026-06-15T00:00:00Z", "2026-07-15T00:00:00Z", 9000, "paid"],
      ["subscription_cycle", "2026-07-15T00:00:00Z", "2026-08-15T00:00:00Z", 9000, "paid"],
      ["subscription_cycle", "2026-08-15T00:00:00Z", "2026-09-15T00:00:00Z", 3000 - 4065 + 1355, "paid"],
      ["subscription_cycle", "2026-09-15T00:00:00Z", "2026-10-15T00:00:00Z", 3000, "paid"],
      ["subscription_cycle", "2026-10-15T00:00:00Z", "2026-11-15T00:00:00Z", 3000, "paid"],
      ["subscription_cycle", "2026-11-15T00:00:00Z", "2026-12-15T00:00:00Z", 3000, "paid"],
      ["subscription_cycle", "2026-12-15T00:00:00Z", "2027-01-15T00:00:00Z", 3000, "paid"],
      ["subscription_cycle", "2027-01-15T00:00:00Z", "2027-02-15T00:00:00Z", 3000, "paid"],
    ]);
    // Gapless numbering, lines that sum to the subtotal, and contiguous cycle periods.
    expect(invoices.map((i) => Number(i.number.split("-")[1]))).toEqual(invoices.map((_, k) => k + 1));
    for (const invoice of invoices) {
      expect(invoice.lines.reduce((sum: number, l: InvoiceLine) => sum + l.amount, 0)).toBe(invoice.subtotal);
      expect(invoice.amount_paid).toBe(invoice.amount_due);
    }
    const cycles = invoices.filter((i) => i.billing_reason !== "subscription_update");
    for (const [k, invoice] of cycles.slice(1).entries()) expect(invoice.period_start).toBe(cycles[k].period_end);
  });

  // Many members on one clock, each renewed once per due time (how a step runs its members
  // together is test/billing/test-clock-steps.test.ts; larger herds are the bench's).
  it("advances 25 subscriptions on one clock in time order", async () => {
    const { clock, customer, plan } = await subscribeOnClock("2026-01-01T00:00:00Z", { amount: 100, interval: "week" });
    const ids: string[] = [];
    for (let k = 0; k < 24; k++)
      ids.push((await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id })).id);
    const ready = await advance(clock.id, "2026-02-05T00:00:00Z");
    expect(ready).toMatchObject({ status: "ready", frozen_time: "2026-02-05T00:00:00Z" });
    const counts = await Promise.all(ids.map(async (id) => (await invoicesOf(id)).length));
    // Jan 1, 8, 15, 22, 29 and Feb 5.
    expect(new Set(counts)).toEqual(new Set([6]));
  }, 60_000); // 25 actors, each also mirroring to KV and its metrics shard
});
