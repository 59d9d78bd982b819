import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { eventually } from "../poll";
import { ADMIN_KEY, api, serviceUrl } from "./client";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Coupons, promotion codes and tax rates (rules 13 and 16) as a client sees them over real HTTP
// against `wrangler dev`: the concurrency of redemptions, the discount window over renewals on
// a test clock, and a downgrade's credit carrying the discount its period received.

let counter = 0;
async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await api<T>(method, path, body === undefined ? {} : { body });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${res.text}`);
  return res.json;
}

async function setup(start: string, amount: number, sub: Record<string, unknown> = {}) {
  counter += 1;
  const clock = await call("POST", "/v1/test_clocks", { frozen_time: start });
  const customer = await call("POST", "/v1/customers", {
    email: "discounts@example.com",
    payment_method: "pm_card_visa",
    test_clock: clock.id,
  });
  const tag = `${Date.now().toString(36)}-${counter}`;
  const plan = await call("POST", "/v1/plans", {
    id: `pro-${tag}`,
    name: "Pro",
    currency: "usd",
    amount,
    interval: "month",
  });
  const basic = await call("POST", "/v1/plans", {
    id: `basic-${tag}`,
    name: "Basic",
    currency: "usd",
    amount: amount / 2,
    interval: "month",
  });
  const subscription = await call("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id, ...sub });
  return { clock, customer, plan, basic, subscription };
}
const advance = (clock: string, to: string) => call("POST", `/v1/test_clocks/${clock}/advance`, { frozen_time: to });
const invoices = async (sub: string): Promise<any[]> =>
  [...(await call("GET", `/v1/subscriptions/${sub}/invoices?limit=100`)).data].reverse();

describe("discounts and tax over real HTTP", () => {
  it("lets exactly 5 of 50 parallel redemptions through a coupon with max_redemptions 5", async () => {
    const coupon = await call("POST", "/v1/coupons", { percent_off: 15, max_redemptions: 5 });
    const { subscription: _first, plan } = await setup("2026-05-01T00:00:00Z", 1000);
    const customer = await call("POST", "/v1/customers", { email: "many@example.com", payment_method: "pm_card_visa" });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        api("POST", "/v1/subscriptions", { body: { customer: customer.id, plan: plan.id, coupon: coupon.id } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 400)).toHaveLength(45);
    const refused = results.find((r) => r.status === 400)!;
    expect(refused.json.error).toMatchObject({
      type: "invalid_request_error",
      code: "coupon_invalid",
      param: "coupon",
    });
    expect(await call("GET", `/v1/coupons/${coupon.id}`)).toMatchObject({ times_redeemed: 5, valid: false });
  });

  it("walks once, repeating and forever coupons over renewals, with exclusive and inclusive tax", async () => {
    const vat = await call("POST", "/v1/tax_rates", {
      display_name: "VAT",
      percentage: 20,
      inclusive: false,
      country: "DE",
    });
    const gst = await call("POST", "/v1/tax_rates", { display_name: "GST", percentage: 10, inclusive: true });
    const once = await call("POST", "/v1/coupons", { amount_off: 500, currency: "usd", duration: "once" });
    const repeating = await call("POST", "/v1/coupons", {
      percent_off: 10,
      duration: "repeating",
      duration_in_months: 2,
    });
    const forever = await call("POST", "/v1/coupons", { percent_off: 50, duration: "forever" });
    const totals = async (coupon: string, taxRates: string[]) => {
      const { clock, subscription } = await setup("2026-01-31T10:00:00Z", 2000, {
        coupon,
        default_tax_rates: taxRates,
      });
      for (const to of ["2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z"]) await advance(clock.id, to);
      return (await invoices(subscription.id)).map((i) => [i.total_discount_amounts[0]?.amount ?? 0, i.tax, i.total]);
    };
    // once: 500 off the first invoice; VAT 20 % of what is left.
    expect(await totals(once.id, [vat.id])).toEqual([
      [500, 300, 1800],
      [0, 400, 2400],
      [0, 400, 2400],
    ]);
    // repeating 2 months from Jan 31 10:00: ends Mar 31 10:00, so the third invoice is full price.
    // GST is inclusive: round(1800 × 10 / 110) = 164 shown, not added.
    expect(await totals(repeating.id, [gst.id])).toEqual([
      [200, 164, 1800],
      [200, 164, 1800],
      [0, 182, 2000],
    ]);
    expect(await totals(forever.id, [])).toEqual([
      [1000, 0, 1000],
      [1000, 0, 1000],
      [1000, 0, 1000],
    ]);
  });

  it("credits a downgrade on 50 % off what was paid, and shows it in preview_change first", async () => {
    const half = await call("POST", "/v1/coupons", { percent_off: 50, duration: "forever" });
    const { clock, subscription, basic } = await setup("2026-04-01T00:00:00Z", 2000, { coupon: half.id });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const body = { plan: basic.id, proration_behavior: "always_invoice" };
    const preview = await call("POST", `/v1/subscriptions/${subscription.id}/preview_change`, body);
    const changed = await call("POST", `/v1/subscriptions/${subscription.id}/change`, body);
    const lines = changed.invoice.lines.map((l: any) => [l.amount, l.discount_amounts]);
    expect(lines).toEqual([
      [-1000, [{ coupon: half.id, amount: -500 }]],
      [500, [{ coupon: half.id, amount: 250 }]],
    ]);
    expect(preview.lines.map((l: any) => [l.amount, l.discount_amounts])).toEqual(lines);
    expect(preview.total).toBe(-250);
    expect(changed.invoice).toMatchObject({ subtotal: -500, total: -250, status: "paid" });
    expect(changed.credit_balance).toBe(250);
  });

  it("refuses an unknown coupon, a wrong currency and an expired promotion code with 400 naming the reason", async () => {
    const { subscription } = await setup("2026-04-01T00:00:00Z", 1000);
    const unknown = await api("POST", `/v1/subscriptions/${subscription.id}/discount`, {
      body: { coupon: "no-such-coupon" },
    });
    expect([unknown.status, unknown.json.error.code, unknown.json.error.param]).toEqual([
      400,
      "coupon_invalid",
      "coupon",
    ]);
    const euros = await call("POST", "/v1/coupons", { amount_off: 100, currency: "eur" });
    const wrong = await api("POST", `/v1/subscriptions/${subscription.id}/discount`, { body: { coupon: euros.id } });
    expect(wrong.json.error.message).toContain("eur");
    const coupon = await call("POST", "/v1/coupons", { percent_off: 5 });
    const promo = await call("POST", "/v1/promotion_codes", {
      coupon: coupon.id,
      code: `OLD${Date.now().toString(36)}`,
      expires_at: "2026-01-01T00:00:00Z",
    });
    const expired = await api("POST", `/v1/subscriptions/${subscription.id}/discount`, {
      body: { promotion_code: promo.id },
    });
    expect([expired.status, expired.json.error.code, expired.json.error.param]).toEqual([
      400,
      "promotion_code_invalid",
      "promotion_code",
    ]);
    expect(expired.json.error.message).toContain("expired");
    expect(await call("GET", `/v1/promotion_codes/${promo.id}`)).toMatchObject({ times_redeemed: 0 });
    expect((await call("GET", `/v1/subscriptions/${subscription.id}`)).discount).toBeNull();
  });

  it("lists coupons, promotion codes and tax rates newest first, paged", async () => {
    const a = await call("POST", "/v1/tax_rates", { display_name: "A", percentage: 1.2345, inclusive: false });
    const b = await call("POST", "/v1/tax_rates", { display_name: "B", percentage: 2, inclusive: false });
    const page = await call("GET", "/v1/tax_rates?limit=2");
    expect(page.data.map((r: any) => r.id)).toEqual([b.id, a.id]);
    expect(a.percentage).toBe(1.2345);
    const coupon = await call("POST", "/v1/coupons", { percent_off: 33.33, name: "Third" });
    expect((await call("GET", "/v1/coupons?limit=1")).data[0].id).toBe(coupon.id);
    const code = await call("POST", "/v1/promotion_codes", {
      coupon: coupon.id,
      code: `THIRD${Date.now().toString(36)}`,
    });
    const byCoupon = await call("GET", `/v1/promotion_codes?coupon=${coupon.id}`);
    expect(byCoupon.data.map((p: any) => p.id)).toEqual([code.id]);
    const bad = await api("GET", "/v1/coupons?cursor=nope");
    expect([bad.status, bad.json.error.param]).toEqual([400, "cursor"]);
  });

  it("shows an invoice's discount and tax in the admin dashboard (real Chromium)", async () => {
    const vat = await call("POST", "/v1/tax_rates", { display_name: "VAT", percentage: 19, inclusive: false });
    const coupon = await call("POST", "/v1/coupons", {
      id: `dash-${Date.now().toString(36)}`,
      percent_off: 10,
      duration: "forever",
    });
    const { subscription } = await setup("2026-04-01T00:00:00Z", 2000, {
      coupon: coupon.id,
      default_tax_rates: [vat.id],
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      await page.goto(`${serviceUrl()}/admin`);
      await page.fill("#admin-key", ADMIN_KEY);
      await page.click("#sign-in button[type=submit]");
      await page
        .waitForSelector("[data-testid=subscription-row], [data-testid=subscriptions]", { timeout: 20_000 })
        .catch(() => {});
      await page.evaluate(`location.hash = "#/subscriptions/${subscription.id}"`);
      await page.waitForSelector("[data-testid=discount-row]", { timeout: 20_000 });
      const discount = await page.textContent("[data-testid=discount-row]");
      const tax = await page.textContent("[data-testid=tax-row]");
      // 2000 − 200 = 1800; VAT 19 % of it = 342.
      expect(discount).toContain(`Discount · ${coupon.id}`);
      expect(discount).toContain("-$2.00");
      expect(tax).toContain("VAT 19%");
      expect(tax).toContain("$3.42");
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("emails the receipt with the discount and the tax lines, formatted for the currency", async () => {
    const email = `receipt-${Date.now()}@example.com`;
    const clock = await call("POST", "/v1/test_clocks", { frozen_time: "2026-04-01T00:00:00Z" });
    const customer = await call("POST", "/v1/customers", {
      email,
      payment_method: "pm_card_visa",
      test_clock: clock.id,
    });
    const plan = await call("POST", "/v1/plans", { name: "Euro", currency: "eur", amount: 2500, interval: "month" });
    const coupon = await call("POST", "/v1/coupons", { amount_off: 500, currency: "eur", duration: "forever" });
    const vat = await call("POST", "/v1/tax_rates", { display_name: "MwSt", percentage: 19, inclusive: false });
    await call("POST", "/v1/subscriptions", {
      customer: customer.id,
      plan: plan.id,
      coupon: coupon.id,
      default_tax_rates: [vat.id],
    });
    const receipt = await eventually(
      async () => {
        const sent = await api("GET", "/v1/admin/emails?limit=100", { key: ADMIN_KEY });
        return (sent.json.data as { to: string; subject: string; text: string }[]).find(
          (m) => m.to === email && m.subject.startsWith("Receipt"),
        );
      },
      (m) => m !== undefined,
      { timeoutMs: 20_000, intervalMs: 250, what: "the receipt email" },
    );
    // 2500 − 500 = 2000; MwSt 19 % = 380; total 2380.
    expect(receipt!.text).toContain(
      `  Subtotal: €25.00\n  Discount (${coupon.id}): -€5.00\n  MwSt 19%: €3.80\n  Total: €23.80\n`,
    );
  }, 60_000);
});
