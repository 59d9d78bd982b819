import { describe, expect, it } from "vitest";
import { api } from "./client";

// The amended money rules of docs/billing-rules.md (rules 4, 6, 8, 9, 12) and the events' order, as a client sees them
// over real HTTP against `wrangler dev`, each on its own test clock.

let counter = 0;
async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await api<T>(method, path, body === undefined ? {} : { body });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${res.text}`);
  return res.json;
}

async function setup(start: string, amount: number, sub: Record<string, unknown> = {}, paymentMethod = "pm_card_visa") {
  counter += 1;
  const clock = await call("POST", "/v1/test_clocks", { frozen_time: start });
  const customer = await call("POST", "/v1/customers", {
    email: "http@example.com",
    payment_method: paymentMethod,
    test_clock: clock.id,
  });
  const tag = `${Date.now().toString(36)}-${counter}`;
  const plan = await call("POST", "/v1/plans", {
    id: `basic-${tag}`,
    name: "Basic",
    currency: "usd",
    amount,
    interval: "month",
  });
  const pro = await call("POST", "/v1/plans", {
    id: `pro-${tag}`,
    name: "Pro",
    currency: "usd",
    amount: amount * 2,
    interval: "month",
  });
  const subscription = await call("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id, ...sub });
  return { clock, customer, plan, pro, subscription };
}
const advance = (clock: string, to: string) => call("POST", `/v1/test_clocks/${clock}/advance`, { frozen_time: to });
const invoices = async (sub: string): Promise<any[]> =>
  [...(await call("GET", `/v1/subscriptions/${sub}/invoices?limit=100`)).data].reverse();

describe("the amended billing rules over real HTTP", () => {
  it("rule 9: a renewal due while incomplete is held; at 23 h the first invoice is void and nothing else is billed", async () => {
    const { clock, subscription } = await setup(
      "2026-03-10T08:00:00Z",
      1000,
      { billing_cycle_anchor: "2026-03-10T20:00:00Z" },
      "pm_card_chargeDeclined",
    );
    expect(subscription.status).toBe("incomplete");
    await advance(clock.id, "2026-03-12T00:00:00Z");
    const all = await invoices(subscription.id);
    // round(1000 × 12 h / 28 d) = 18
    expect(all.map((i) => [i.billing_reason, i.total, i.status, i.attempt_count, i.voided_at])).toEqual([
      ["subscription_create", 18, "void", 1, "2026-03-11T07:00:00Z"],
    ]);
    expect((await call("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("incomplete_expired");
  });

  it("rule 9: paying the first invoice invoices the held renewal at once", async () => {
    const { clock, customer, subscription } = await setup(
      "2026-03-10T08:00:00Z",
      1000,
      { billing_cycle_anchor: "2026-03-10T20:00:00Z" },
      "pm_card_chargeDeclined",
    );
    await advance(clock.id, "2026-03-10T22:00:00Z");
    await call("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    expect((await invoices(subscription.id)).map((i) => [i.billing_reason, i.total, i.status, i.created])).toEqual([
      ["subscription_create", 18, "paid", "2026-03-10T08:00:00Z"],
      ["subscription_cycle", 1000, "paid", "2026-03-10T22:00:00Z"],
    ]);
    expect(await call("GET", `/v1/subscriptions/${subscription.id}`)).toMatchObject({
      status: "active",
      current_period_end: "2026-04-10T20:00:00Z",
    });
  });

  it("rules 4 and 6: a change in a short first period credits against the whole interval (paid 323, credited 161)", async () => {
    const { clock, pro, subscription } = await setup("2026-01-22T00:00:00Z", 1000, {
      billing_cycle_anchor: "2026-02-01T00:00:00Z",
    });
    await advance(clock.id, "2026-01-27T00:00:00Z");
    const changed = await call("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: pro.id,
      proration_behavior: "always_invoice",
    });
    const [first] = await invoices(subscription.id);
    expect(first.total).toBe(323);
    expect(changed.invoice.lines.map((l: any) => l.amount)).toEqual([-161, 323]);
  });

  it("rule 6: an anchor exactly one interval away is a full first period, charged in full", async () => {
    const { subscription } = await setup("2026-01-31T10:00:00Z", 1000, {
      billing_cycle_anchor: "2026-02-28T10:00:00Z",
    });
    expect((await invoices(subscription.id)).map((i) => [i.total, i.period_start, i.period_end])).toEqual([
      [1000, "2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z"],
    ]);
  });

  it("rule 12 and the events' order: an upgrade's prorations are billed on a final invoice at an immediate cancel; subscription.created comes first", async () => {
    const { clock, pro, subscription } = await setup("2026-04-01T00:00:00Z", 1000);
    await advance(clock.id, "2026-04-16T00:00:00Z");
    await call("POST", `/v1/subscriptions/${subscription.id}/change`, { plan: pro.id });
    await call("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    const [, final] = await invoices(subscription.id);
    expect(final).toMatchObject({ billing_reason: "subscription_final", total: 500, status: "paid", amount_paid: 500 });
    const events = (await call("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data.map(
      (e: any) => e.type,
    );
    expect(events.slice(0, 3)).toEqual(["subscription.created", "invoice.created", "invoice.finalized"]);
  });

  it("rule 8: voiding an invoice gives its credit_applied back", async () => {
    const { clock, customer, subscription } = await setup("2026-04-01T00:00:00Z", 1000);
    const lite = await call("POST", "/v1/plans", {
      id: `lite-${Date.now().toString(36)}`,
      name: "Lite",
      currency: "usd",
      amount: 200,
      interval: "month",
    });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    await call("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: lite.id,
      proration_behavior: "always_invoice",
    });
    await call("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
    await call("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, {
      amount: 1000,
      description: "Consulting",
    });
    const bill = await call("POST", `/v1/subscriptions/${subscription.id}/invoices`);
    expect(bill).toMatchObject({ credit_applied: 400, amount_due: 600, status: "open" });
    await call("POST", `/v1/invoices/${bill.id}/void`);
    expect((await call("GET", `/v1/subscriptions/${subscription.id}`)).credit_balance).toBe(400);
  });
});
