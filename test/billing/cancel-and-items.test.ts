import { describe, expect, it } from "vitest";
import type { InvoiceLine } from "../../src/contract/invoice";
import { advance, api, invoicesOf, ok, paymentsOf, subscribeOnClock } from "../helpers";

describe("cancellation (rules 3 and 10)", () => {
  it("cancels at period end with no invoice, ended_at = period end", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await advance(clock.id, "2026-04-10T00:00:00Z");
    const scheduled = await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });
    expect(scheduled).toMatchObject({
      status: "active",
      cancel_at_period_end: true,
      canceled_at: "2026-04-10T00:00:00Z",
      ended_at: null,
    });
    await advance(clock.id, "2026-06-01T00:00:00Z");
    const ended = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(ended).toMatchObject({ status: "canceled", ended_at: "2026-05-01T00:00:00Z" });
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
    const events = (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data.map(
      (e: { type: string; created: string }) => e.type,
    );
    expect(events.at(-1)).toBe("subscription.canceled");
  });

  it("resumes a scheduled cancellation, and renews as before", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });
    const resumed = await ok("POST", `/v1/subscriptions/${subscription.id}/resume`);
    expect(resumed).toMatchObject({ status: "active", cancel_at_period_end: false, canceled_at: null });
    await advance(clock.id, "2026-05-01T00:00:00Z");
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("active");
    expect((await invoicesOf(subscription.id)).map((i) => i.total)).toEqual([1000, 1000]);
  });

  it("cancels immediately with no credit and no invoice; nothing renews afterwards", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const canceled = await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    expect(canceled).toMatchObject({
      status: "canceled",
      canceled_at: "2026-04-16T00:00:00Z",
      ended_at: "2026-04-16T00:00:00Z",
      credit_balance: 0,
    });
    await advance(clock.id, "2026-07-01T00:00:00Z");
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
    const again = await api("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe("subscription_ended");
    const resume = await api("POST", `/v1/subscriptions/${subscription.id}/resume`, {});
    expect(resume.status).toBe(400);
  });
});

describe("invoice items and invoicing now", () => {
  it("bills pending items on the next renewal with the period line", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    const item = await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, {
      amount: 350,
      description: "Extra seats",
    });
    expect(item).toMatchObject({ object: "line_item", type: "invoice_item", amount: 350, description: "Extra seats" });
    expect(item.id).toMatch(/^il_[0-9A-Z]{26}$/);
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const [, renewal] = await invoicesOf(subscription.id);
    expect(renewal.lines.map((l: InvoiceLine) => [l.type, l.amount])).toEqual([
      ["subscription", 1000],
      ["invoice_item", 350],
    ]);
    expect(renewal.total).toBe(1350);
  });

  it("invoices pending lines now with billing_reason manual, and 400 when nothing is pending", async () => {
    const { subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    const empty = await api("POST", `/v1/subscriptions/${subscription.id}/invoices`);
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ type: "invalid_request_error", code: "nothing_to_invoice" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: 700, description: "Consulting" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: -200, description: "Goodwill" });
    const invoice = await ok("POST", `/v1/subscriptions/${subscription.id}/invoices`);
    expect(invoice).toMatchObject({
      billing_reason: "manual",
      total: 500,
      amount_due: 500,
      amount_paid: 500,
      status: "paid",
      attempt_count: 1,
    });
    const payments = await ok("GET", `/v1/invoices/${invoice.id}/payments`);
    expect(payments.data).toHaveLength(1);
    expect(payments.data[0]).toMatchObject({ status: "succeeded", method: "card", amount: 500, attempt: 1 });
    const again = await api("POST", `/v1/subscriptions/${subscription.id}/invoices`);
    expect(again.status).toBe(400);
  });

  it("lists a customer's invoices across subscriptions, newest first, with cursors", async () => {
    const { customer, plan, clock } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const first = await ok("GET", `/v1/customers/${customer.id}/invoices?limit=3`);
    expect(first.data).toHaveLength(3);
    expect(first.has_more).toBe(true);
    const second = await ok("GET", `/v1/customers/${customer.id}/invoices?limit=3&cursor=${first.next_cursor}`);
    expect(second.data).toHaveLength(1);
    expect(second.has_more).toBe(false);
    const ids = [...first.data, ...second.data].map((i) => i.id);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort().reverse()).toEqual(ids);
    const subs = await ok("GET", `/v1/customers/${customer.id}/subscriptions`);
    expect(subs.data).toHaveLength(2);
  });
});

const eventsOf = async (id: string): Promise<{ type: string; created: string; data: any }[]> =>
  (await ok("GET", `/v1/subscriptions/${id}/events?limit=100`)).data;

describe("pending lines at the end (rule 12)", () => {
  it("invoices an upgrade's prorations on a final invoice when the subscription is canceled now", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { name: "Basic", amount: 1000 });
    const pro = await ok("POST", "/v1/plans", {
      id: `pro-${subscription.id.slice(-8).toLowerCase()}`,
      name: "Pro",
      currency: "usd",
      amount: 2000,
      interval: "month",
    });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    await ok("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: pro.id,
      proration_behavior: "create_prorations",
    });
    const canceled = await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    const [, final] = await invoicesOf(subscription.id);
    expect(canceled).toMatchObject({ status: "canceled", ended_at: "2026-04-16T00:00:00Z", latest_invoice: final.id });
    expect(final.lines.map((l: InvoiceLine) => [l.type, l.amount, l.description])).toEqual([
      ["proration", -500, "Unused time on Basic after 2026-04-16"],
      ["proration", 1000, "Remaining time on Pro after 2026-04-16"],
    ]);
    expect(final).toMatchObject({
      billing_reason: "subscription_final",
      status: "paid",
      total: 500,
      amount_due: 500,
      amount_paid: 500,
      attempt_count: 1,
      period_start: "2026-04-16T00:00:00Z",
      period_end: "2026-04-16T00:00:00Z",
      created: "2026-04-16T00:00:00Z",
    });
    const types = (await eventsOf(subscription.id)).map((e) => e.type);
    expect(types.slice(types.indexOf("subscription.canceled"))).toEqual([
      "subscription.canceled",
      "invoice.created",
      "invoice.finalized",
      "payment.succeeded",
      "invoice.paid",
    ]);
  });

  it("invoices pending items at the period end of a cancel_at_period_end, instead of a period invoice", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: 300, description: "Setup" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });
    await advance(clock.id, "2026-06-01T00:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i) => [i.billing_reason, i.total, i.status, i.created])).toEqual([
      ["subscription_create", 1000, "paid", "2026-04-01T00:00:00Z"],
      ["subscription_final", 300, "paid", "2026-05-01T00:00:00Z"],
    ]);
    expect(await ok("GET", `/v1/subscriptions/${subscription.id}`)).toMatchObject({
      status: "canceled",
      ended_at: "2026-05-01T00:00:00Z",
    });
  });

  it("attempts a declined final invoice once and never retries it; /pay settles it later", async () => {
    const { clock, customer, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: 700, description: "Overage" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const [, final] = await invoicesOf(subscription.id);
    expect(final).toMatchObject({
      billing_reason: "subscription_final",
      status: "open",
      amount_due: 700,
      attempt_count: 1,
      next_payment_attempt: null,
    });
    expect((await paymentsOf(final.id)).map((p: any) => [p.status, p.failure_code])).toEqual([
      ["failed", "card_declined"],
    ]);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).status).toBe("canceled");
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_visa" });
    expect(await ok("POST", `/v1/invoices/${final.id}/pay`)).toMatchObject({
      status: "paid",
      amount_paid: 700,
      attempt_count: 2,
    });
  });

  it("drops a negative sum, and the subscription.canceled event shows the lines it dropped", async () => {
    const { subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: -250, description: "Goodwill" });
    await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, {});
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
    const canceled = (await eventsOf(subscription.id)).find((e) => e.type === "subscription.canceled")!;
    expect(canceled.data.object).toMatchObject({ id: subscription.id, status: "canceled" });
    expect(canceled.data.pending_lines_dropped).toEqual([
      {
        type: "invoice_item",
        description: "Goodwill",
        amount: -250,
        quantity: 1,
        plan: null,
        period_start: "2026-04-01T00:00:00Z",
        period_end: "2026-04-01T00:00:00Z",
      },
    ]);
  });
});

describe("events in causal order (docs/billing-rules.md, Events)", () => {
  it("records subscription.created before the events of its first invoice", async () => {
    const { subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    const events = await eventsOf(subscription.id);
    expect(events.map((e) => e.type)).toEqual([
      "subscription.created",
      "invoice.created",
      "invoice.finalized",
      "payment.succeeded",
      "invoice.paid",
    ]);
    expect(events[0]!.data.object).toMatchObject({
      id: subscription.id,
      status: "active",
      latest_invoice: subscription.latest_invoice,
    });
  });
});

describe("voiding an invoice that had credit applied (rule 8)", () => {
  it("gives its credit_applied back to the credit balance; marking uncollectible does not", async () => {
    const { clock, customer, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", {
      name: "Basic",
      amount: 1000,
    });
    const lite = await ok("POST", "/v1/plans", {
      id: `lite-${subscription.id.slice(-8).toLowerCase()}`,
      name: "Lite",
      currency: "usd",
      amount: 200,
      interval: "month",
    });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    // Downgrade at mid-period, invoiced now: −500 + 100 = −400 → 400 of credit.
    await ok("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: lite.id,
      proration_behavior: "always_invoice",
    });
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).credit_balance).toBe(400);
    await ok("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
    const bill = async () => {
      await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, {
        amount: 1000,
        description: "Consulting",
      });
      return ok("POST", `/v1/subscriptions/${subscription.id}/invoices`);
    };
    const first = await bill();
    expect(first).toMatchObject({ status: "open", total: 1000, credit_applied: 400, amount_due: 600 });
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).credit_balance).toBe(0);
    expect(await ok("POST", `/v1/invoices/${first.id}/void`)).toMatchObject({
      status: "void",
      credit_applied: 400,
      amount_remaining: 0,
    });
    expect(await ok("GET", `/v1/subscriptions/${subscription.id}`)).toMatchObject({
      credit_balance: 400,
      status: "active",
    });
    const second = await bill();
    expect(second).toMatchObject({ credit_applied: 400, amount_due: 600 });
    await ok("POST", `/v1/invoices/${second.id}/mark_uncollectible`);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).credit_balance).toBe(0);
  });
});
