import type { Invoice, InvoiceLine } from "../../src/contract/invoice";
import { describe, expect, it } from "vitest";
import { advance, api, invoicesOf, ok, subscribeOnClock } from "../helpers";

describe("cancellation (rules 3 and 10)", () => {
  it("cancels at period end with no invoice, ended_at = period end", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await advance(clock.id, "2026-04-10T00:00:00Z");
    const scheduled = await ok("POST", `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });
    expect(scheduled).toMatchObject({ status: "active", cancel_at_period_end: true, canceled_at: "2026-04-10T00:00:00Z", ended_at: null });
    await advance(clock.id, "2026-06-01T00:00:00Z");
    const ended = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(ended).toMatchObject({ status: "canceled", ended_at: "2026-05-01T00:00:00Z" });
    expect(await invoicesOf(subscription.id)).toHaveLength(1);
    const events = (await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`)).data.map((e: { type: string; created: string }) => e.type);
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
    expect(canceled).toMatchObject({ status: "canceled", canceled_at: "2026-04-16T00:00:00Z", ended_at: "2026-04-16T00:00:00Z", credit_balance: 0 });
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
    const item = await ok("POST", `/v1/subscriptions/${subscription.id}/invoice_items`, { amount: 350, description: "Extra seats" });
    expect(item).toMatchObject({ object: "line_item", type: "invoice_item", amount: 350, description: "Extra seats" });
    expect(item.id).toMatch(/^il_[0-9A-Z]{26}$/);
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const [, renewal] = await invoicesOf(subscription.id);
    expect(renewal.lines.map((l: InvoiceLine) => [l.type, l.amount])).toEqual([["subscription", 1000], ["invoice_item", 350]]);
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
    expect(invoice).toMatchObject({ billing_reason: "manual", total: 500, amount_due: 500, amount_paid: 500, status: "paid", attempt_count: 1 });
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
