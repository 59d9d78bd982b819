/**
 * Usage-based billing over real HTTP against `wrangler dev` (docs/billing-rules.md rule 14): meters, ingest with
 * deduplication, a batch refused whole, and a test clock renewal that bills the usage.
 */
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, api, serviceUrl } from "./client";

declare const process: { env: Record<string, string | undefined> };
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

async function post(path: string, body: unknown) {
  const res = await api("POST", path, { body });
  if (res.status >= 300) throw new Error(`POST ${path} → ${res.status} ${res.text}`);
  return res.json;
}

let meter: any;
let clock: any;
let customer: any;
let subscription: any;

beforeAll(async () => {
  meter = await post("/v1/meters", {
    event_name: `http.requests.${Date.now().toString(36)}`,
    display_name: "Requests",
    aggregation: "sum",
  });
  const plan = await post("/v1/plans", {
    name: "Metered",
    currency: "usd",
    amount: 500,
    interval: "month",
    charges: [{ meter: meter.id, model: "standard", unit_amount_decimal: "0.25" }],
  });
  clock = await post("/v1/test_clocks", { frozen_time: "2026-03-01T00:00:00Z" });
  customer = await post("/v1/customers", {
    email: "m@example.com",
    payment_method: "pm_card_visa",
    test_clock: clock.id,
  });
  subscription = await post("/v1/subscriptions", { customer: customer.id, plan: plan.id });
});

const event = (identifier: string, value: string | number, extra: Record<string, unknown> = {}) => ({
  event_name: meter.event_name,
  identifier,
  payload: { customer: customer.id, value },
  ...extra,
});

describe("meter events over real HTTP", () => {
  it("stores an event once: 201, then 200 with the stored event for the same identifier", async () => {
    const first = await api("POST", "/v1/meter_events", { body: event("h-1", "100") });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      object: "meter_event",
      identifier: "h-1",
      timestamp: "2026-03-01T00:00:00Z",
      payload: { value: "100" },
    });
    const repeat = await api("POST", "/v1/meter_events", { body: event("h-1", "5") });
    expect(repeat.status).toBe(200);
    expect(repeat.json).toEqual(first.json);
  });

  it("refuses a batch with one bad event and stores none of it; a good batch counts duplicates apart", async () => {
    const bad = await api("POST", "/v1/meter_events/batch", {
      body: { events: [event("h-2", 1), event("h-3", 1), event("h-4", "1.5.0")] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ type: "invalid_request_error", param: "events[2].payload.value" });
    const usage = await api("GET", `/v1/subscriptions/${subscription.id}/usage`);
    expect(usage.json).toMatchObject({
      total: 25,
      data: [{ charge: 0, meter: meter.id, usage_quantity: "100", amount: 25 }],
    });
    const good = await api("POST", "/v1/meter_events/batch", {
      body: { events: [event("h-1", 1), event("h-2", 40), event("h-3", 0.5)] },
    });
    expect(good.status).toBe(200);
    expect(good.json).toEqual({ object: "meter_event_batch", accepted: 2, duplicates: 1 });
  });

  it("bills the period's usage on the renewal invoice the test clock runs", async () => {
    await api("POST", `/v1/test_clocks/${clock.id}/advance`, { body: { frozen_time: "2026-04-01T00:00:00Z" } });
    let invoices = await api("GET", `/v1/subscriptions/${subscription.id}/invoices`);
    for (let i = 0; i < 50 && invoices.json.data.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      invoices = await api("GET", `/v1/subscriptions/${subscription.id}/invoices`);
    }
    const renewal = invoices.json.data[0];
    // 140.5 units × 0.25 = 35.125 → 35, plus the next month's 500.
    expect(renewal).toMatchObject({ billing_reason: "subscription_cycle", total: 535, status: "paid" });
    expect(renewal.lines[1]).toMatchObject({
      type: "usage",
      meter: meter.id,
      charge: 0,
      usage_quantity: "140.5",
      amount: 35,
      period_start: "2026-03-01T00:00:00Z",
      period_end: "2026-04-01T00:00:00Z",
    });
  });

  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== "true")(
    "the admin dashboard shows the subscription's current usage, priced",
    async () => {
      await post("/v1/meter_events", event("h-dash", "8"));
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      try {
        const page = await browser.newPage();
        await page.goto(`${serviceUrl()}/admin`);
        await page.fill("#admin-key", ADMIN_KEY);
        await page.click("#sign-in button[type=submit]");
        await page.waitForSelector("[data-testid=subscription-row], p.empty");
        await page.goto(`${serviceUrl()}/admin#/subscriptions/${subscription.id}`);
        await page.waitForSelector("[data-testid=usage-row]");
        const cells = await page.$$eval("[data-testid=usage-row] td", (tds) => tds.map((td) => td.textContent));
        expect(cells).toEqual(["#0", meter.id, "2026-04-01 00:00 → 2026-05-01 00:00", "8", "$0.02"]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it("emails the usage line with the paid renewal invoice", async () => {
    const mine = async () =>
      (await api("GET", "/v1/admin/emails?limit=100", { key: ADMIN_KEY })).json.data.filter(
        (m: { to: string; subject: string }) => m.to === customer.email,
      );
    let emails = await mine();
    for (let i = 0; i < 100 && !emails.some((m: { text: string }) => m.text.includes("Requests: 140.5")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      emails = await mine();
    }
    const withUsage = emails.find((m: { text: string }) => m.text.includes("Requests: 140.5"));
    expect(withUsage?.text).toContain("Requests: 140.5 (2026-03-01 – 2026-04-01)");
    expect(withUsage?.text).toMatch(/\$0\.35/);
  });
});
