/**
 * Done-when of issue 9, over real HTTP against `wrangler dev` (queues included): a local receiver
 * on 127.0.0.1 gets signed events for a subscription's creation, renewal and failed payment;
 * GET /v1/admin/emails shows the customer's emails for them, and the yearly renewal reminder
 * 7 days ahead on a test clock.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyBillifySignature } from "../../clients/billify-signature.mjs";
import { eventually } from "../poll";
import { ADMIN_KEY, api } from "./client";

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const deliveries: Received[] = [];
let receiverUrl = "";
let close: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/billify`;
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

async function must<T = any>(method: string, path: string, body?: unknown, key?: string): Promise<T> {
  const response = await api<T>(method, path, { ...(body === undefined ? {} : { body }), ...(key ? { key } : {}) });
  if (response.status >= 300) throw new Error(`${method} ${path} → ${response.status} ${response.text}`);
  return response.json;
}

const until = <T>(probe: () => Promise<T> | T, done: (value: T) => boolean, what: string) =>
  eventually(probe, done, { timeoutMs: 20_000, intervalMs: 250, what });

describe("notifications over real HTTP", { timeout: 120_000 }, () => {
  it("signs events to a local receiver and emails the customer: creation, the yearly reminder 7 days ahead, renewal, failed payment", async () => {
    const hook = await must("POST", "/v1/webhook_endpoints", { url: receiverUrl, enabled_events: ["*"] });
    expect(hook.secret).toMatch(/^whsec_/);
    const clock = await must("POST", "/v1/test_clocks", { frozen_time: "2026-01-15T00:00:00Z" });
    const email = `rita-${Date.now()}@example.com`;
    const customer = await must("POST", "/v1/customers", {
      email,
      name: "Rita",
      payment_method: "pm_card_visa",
      test_clock: clock.id,
    });
    const plan = await must("POST", "/v1/plans", {
      name: "Pro yearly",
      currency: "usd",
      amount: 12000,
      interval: "year",
    });
    const sub = await must("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });

    // An invoice id ends with its subscription's routing key (ARCHITECTURE.md); so does a payment's invoice.
    const routingKey = sub.id.slice(-16);
    expect(customer.id.slice(-16)).not.toBe(routingKey);
    // Every delivery verifies with the endpoint's secret (clients/billify-signature.mjs, the README's code).
    const events = () =>
      deliveries
        .map(
          (d) =>
            verifyBillifySignature(d.body, d.headers["billify-signature"], hook.secret) as {
              id: string;
              type: string;
              created: string;
              data: { object: any };
            },
        )
        .filter((e) =>
          [e.data.object.id, e.data.object.subscription, e.data.object.invoice].some(
            (id) => typeof id === "string" && id.endsWith(routingKey),
          ),
        );
    const typesOf = () => events().map((e) => e.type);
    const count = (type: string) => typesOf().filter((t) => t === type).length;

    await until(
      typesOf,
      (t) =>
        ["subscription.created", "invoice.finalized", "payment.succeeded", "invoice.paid"].every((x) => t.includes(x)),
      "the creation events",
    );

    // Seven days before the yearly renewal: the reminder, with the invoice the renewal will make.
    await must("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2027-01-08T00:00:00Z" });
    const upcoming = (
      await until(events, (e) => e.some((x) => x.type === "invoice.upcoming"), "invoice.upcoming")
    ).find((e) => e.type === "invoice.upcoming")!;
    expect(upcoming.created).toBe("2027-01-08T00:00:00Z");
    expect(upcoming.data.object).toMatchObject({
      subscription: sub.id,
      amount_due: 12000,
      period_start: "2027-01-15T00:00:00Z",
      period_end: "2028-01-15T00:00:00Z",
    });

    // The renewal itself.
    await must("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2027-01-15T00:00:00Z" });
    await until(
      () => count("invoice.paid"),
      (n) => n === 2,
      "the renewal's invoice.paid",
    );
    const renewed = events()
      .filter((e) => e.type === "invoice.paid")
      .map((e) => e.data.object);
    expect(renewed[1]).toMatchObject({
      billing_reason: "subscription_cycle",
      amount_paid: 12000,
      period_start: "2027-01-15T00:00:00Z",
    });
    const strip = ({ id: _id, ...line }: Record<string, unknown>) => line;
    expect(renewed[1]!.lines.map(strip)).toEqual(upcoming.data.object.lines.map(strip));

    // A declined card at the next renewal.
    await must("PATCH", `/v1/customers/${customer.id}`, { payment_method: "pm_card_chargeDeclined" });
    await must("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2028-01-15T00:00:00Z" });
    const failed = (
      await until(events, (e) => e.some((x) => x.type === "invoice.payment_failed"), "invoice.payment_failed")
    ).find((e) => e.type === "invoice.payment_failed")!;
    expect(failed.data.object).toMatchObject({
      status: "open",
      amount_remaining: 12000,
      next_payment_attempt: "2028-01-16T00:00:00Z",
    });

    // Each event reached the receiver once per delivery; the ids are unique.
    const ids = events().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);

    interface Email {
      to: string;
      event: string;
      event_type: string;
      subject: string;
      text: string;
      html: string;
    }
    const mine = async (): Promise<Email[]> =>
      (await must("GET", "/v1/admin/emails?limit=100", undefined, ADMIN_KEY)).data.filter((m: Email) => m.to === email);
    const emails = await until(mine, (m) => m.length >= 8, "the customer's emails");
    expect(emails.map((m) => m.event_type).sort()).toEqual(
      [
        "invoice.finalized",
        "invoice.finalized",
        "invoice.finalized",
        "invoice.paid",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.upcoming",
        "invoice.upcoming",
      ].sort(),
    );
    const reminder = emails.find((m) => m.event === upcoming.id)!;
    expect(reminder.subject).toBe("Your Pro yearly subscription renews on January 15, 2027");
    expect(reminder.text).toContain("$120.00 will be charged");
    const failure = emails.find((m) => m.event_type === "invoice.payment_failed")!;
    expect(failure.text).toContain("We will try again on January 16, 2028.");
    expect(failure.html).toContain("$120.00");
  });
});
