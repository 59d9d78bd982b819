import { describe, expect, it } from "vitest";
import { advance, api, createCustomer, createPlan, invoicesOf, ok, subscribeOnClock } from "../helpers";

// Rules 13 and 16 through the Worker: coupons, promotion codes and tax rates on real invoices.

const discountsOf = (invoice: any) => invoice.lines.map((l: any) => [l.type, l.amount, l.discount_amounts]);

describe("coupons and tax rates on invoices (rules 13, 16)", () => {
  it("takes 25 % off for two months by the calendar, then bills full price; VAT after the discount", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 25, duration: "repeating", duration_in_months: 2 });
    const vat = await ok("POST", "/v1/tax_rates", { display_name: "VAT", percentage: 20, inclusive: false });
    const { clock, subscription } = await subscribeOnClock(
      "2026-01-31T10:00:00Z",
      { amount: 1000, interval: "month" },
      { coupon: coupon.id, default_tax_rates: [vat.id] },
    );
    expect(subscription.discount).toMatchObject({
      object: "discount",
      coupon: { id: coupon.id, percent_off: 25, times_redeemed: 1 },
      promotion_code: null,
      start: "2026-01-31T10:00:00Z",
      end: "2026-03-31T10:00:00Z",
    });
    expect(subscription.default_tax_rates).toEqual([vat.id]);
    await advance(clock.id, "2026-02-28T10:00:00Z");
    await advance(clock.id, "2026-03-31T10:00:00Z");
    const invoices = await invoicesOf(subscription.id);
    expect(invoices.map((i: any) => [i.subtotal, i.total_discount_amounts, i.tax, i.total])).toEqual([
      [1000, [{ coupon: coupon.id, amount: 250 }], 150, 900],
      [1000, [{ coupon: coupon.id, amount: 250 }], 150, 900],
      [1000, [], 200, 1200],
    ]);
    expect(invoices[0].lines[0]).toMatchObject({
      discount_amounts: [{ coupon: coupon.id, amount: 250 }],
      tax_amounts: [{ tax_rate: vat.id, inclusive: false, amount: 150 }],
    });
    expect(invoices[0].total_tax_amounts).toEqual([
      { tax_rate: vat.id, inclusive: false, amount: 150, display_name: "VAT 20%" },
    ]);
    const after = await ok("GET", `/v1/subscriptions/${subscription.id}`);
    expect(after.discount).toBeNull();
    expect((await ok("GET", `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(1);
  });

  it("gives a once coupon to the first invoice only; the discount then reads null", async () => {
    const coupon = await ok("POST", "/v1/coupons", {
      id: `once-${crypto.randomUUID().slice(0, 8)}`,
      amount_off: 300,
      currency: "usd",
    });
    const { clock, subscription } = await subscribeOnClock(
      "2026-04-01T00:00:00Z",
      { amount: 1000 },
      { coupon: coupon.id },
    );
    expect(subscription.discount).toBeNull();
    await advance(clock.id, "2026-05-01T00:00:00Z");
    expect((await invoicesOf(subscription.id)).map((i: any) => i.total)).toEqual([700, 1000]);
  });

  it("credits a customer on 50 % off what they paid when they downgrade (rule 13d)", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 50, duration: "forever" });
    const { clock, subscription } = await subscribeOnClock(
      "2026-04-01T00:00:00Z",
      { name: "Pro", amount: 2000 },
      { coupon: coupon.id },
    );
    const basic = await createPlan({ name: "Basic", amount: 1000 });
    await advance(clock.id, "2026-04-16T00:00:00Z");
    const preview = await ok("POST", `/v1/subscriptions/${subscription.id}/preview_change`, {
      plan: basic.id,
      proration_behavior: "always_invoice",
    });
    expect(preview).toMatchObject({
      subtotal: -500,
      total_discount_amounts: [{ coupon: coupon.id, amount: -250 }],
      total: -250,
    });
    const changed = await ok("POST", `/v1/subscriptions/${subscription.id}/change`, {
      plan: basic.id,
      proration_behavior: "always_invoice",
    });
    expect(discountsOf(changed.invoice)).toEqual([
      ["proration", -1000, [{ coupon: coupon.id, amount: -500 }]],
      ["proration", 500, [{ coupon: coupon.id, amount: 250 }]],
    ]);
    expect(changed.invoice).toMatchObject({ total: -250, amount_due: 0, status: "paid" });
    expect(changed.credit_balance).toBe(250);
  });

  it("refuses a coupon past max_redemptions, counting nothing for the refusal", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 10, max_redemptions: 1 });
    const plan = await createPlan({ amount: 1000 });
    const first = await createCustomer();
    const second = await createCustomer();
    await ok("POST", "/v1/subscriptions", { customer: first.id, plan: plan.id, coupon: coupon.id });
    const refused = await api("POST", "/v1/subscriptions", { customer: second.id, plan: plan.id, coupon: coupon.id });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "coupon_invalid", param: "coupon" });
    expect(refused.body.error.message).toContain("max_redemptions");
    expect(await ok("GET", `/v1/coupons/${coupon.id}`)).toMatchObject({ times_redeemed: 1, valid: false });
  });

  it("checks a promotion code's restrictions: customer, minimum amount, first-time", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 20, duration: "forever" });
    const code = `LAUNCH${crypto.randomUUID().slice(0, 8)}`;
    const promo = await ok("POST", "/v1/promotion_codes", {
      coupon: coupon.id,
      code,
      restrictions: { first_time_transaction: true, minimum_amount: 1500, minimum_amount_currency: "usd" },
    });
    const dup = await api("POST", "/v1/promotion_codes", { coupon: coupon.id, code: code.toLowerCase() });
    expect(dup.status).toBe(409);
    const cheap = await createPlan({ amount: 1000 });
    const dear = await createPlan({ amount: 2000 });
    const customer = await createCustomer();
    const small = await api("POST", "/v1/subscriptions", {
      customer: customer.id,
      plan: cheap.id,
      promotion_code: promo.id,
    });
    expect(small.status).toBe(400);
    expect(small.body.error).toMatchObject({ code: "promotion_code_invalid", param: "promotion_code" });
    expect(small.body.error.message).toContain("at least 1500");
    const sub = await ok("POST", "/v1/subscriptions", {
      customer: customer.id,
      plan: dear.id,
      promotion_code: promo.id,
    });
    expect(sub.discount).toMatchObject({ promotion_code: promo.id, coupon: { id: coupon.id } });
    // The customer has now paid an invoice: not a first-time transaction any more.
    const again = await api("POST", "/v1/subscriptions", {
      customer: customer.id,
      plan: dear.id,
      promotion_code: promo.id,
    });
    expect(again.body.error?.message).toContain("first-time");
    expect(await ok("GET", `/v1/promotion_codes/${promo.id}`)).toMatchObject({ times_redeemed: 1, code });
    const byCode = await ok("GET", `/v1/promotion_codes?code=${code.toLowerCase()}`);
    expect(byCode.data.map((p: any) => p.id)).toEqual([promo.id]);
  });

  it("applies, replaces and ends a discount on a subscription, each a subscription.updated", async () => {
    const ten = await ok("POST", "/v1/coupons", { percent_off: 10, duration: "forever" });
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    const applied = await ok("POST", `/v1/subscriptions/${subscription.id}/discount`, { coupon: ten.id });
    expect(applied.discount).toMatchObject({ coupon: { id: ten.id }, start: "2026-04-01T00:00:00Z", end: null });
    await advance(clock.id, "2026-05-01T00:00:00Z");
    const ended = await ok("DELETE", `/v1/subscriptions/${subscription.id}/discount`);
    expect(ended.discount).toBeNull();
    await advance(clock.id, "2026-06-01T00:00:00Z");
    expect((await invoicesOf(subscription.id)).map((i: any) => i.total)).toEqual([1000, 900, 1000]);
    const events = await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`);
    expect(events.data.filter((e: any) => e.type === "subscription.updated").length).toBeGreaterThanOrEqual(2);
  });

  it("validates coupons and tax rates per the contract", async () => {
    const bad = [
      [{ percent_off: 12.345 }, "percent_off"],
      [{ percent_off: 10, amount_off: 100, currency: "usd" }, "amount_off"],
      [{ percent_off: 10, duration: "repeating" }, "duration_in_months"],
      [{ percent_off: 10, duration: "once", duration_in_months: 3 }, "duration_in_months"],
      [{ percent_off: 10, duration: "repeating", duration_in_months: 37 }, "duration_in_months"],
      [{ amount_off: 100 }, "currency"],
    ] as const;
    for (const [body, param] of bad) {
      const r = await api("POST", "/v1/coupons", body);
      expect([r.status, r.body.error?.param]).toEqual([400, param]);
    }
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 10 });
    const patch = await api("PATCH", `/v1/coupons/${coupon.id}`, { percent_off: 20 });
    expect([patch.status, patch.body.error.param]).toEqual([400, "percent_off"]);
    expect((await ok("PATCH", `/v1/coupons/${coupon.id}`, { name: "Ten" })).name).toBe("Ten");
    const deleted = await ok("DELETE", `/v1/coupons/${coupon.id}`);
    expect(deleted).toMatchObject({ valid: false, deleted: true });
    const tax = await api("POST", "/v1/tax_rates", { display_name: "X", percentage: 7.12345, inclusive: false });
    expect([tax.status, tax.body.error.param]).toEqual([400, "percentage"]);
    const rate = await ok("POST", "/v1/tax_rates", { display_name: "GST", percentage: 8.875, inclusive: true });
    await ok("PATCH", `/v1/tax_rates/${rate.id}`, { active: false });
    const { subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    const inactive = await api("POST", `/v1/subscriptions/${subscription.id}/tax_rates`, {
      default_tax_rates: [rate.id],
    });
    expect([inactive.status, inactive.body.error.code]).toEqual([400, "tax_rate_inactive"]);
  });

  it("announces the renewal with invoice.upcoming carrying the discount and tax the renewal will bill", async () => {
    const coupon = await ok("POST", "/v1/coupons", { amount_off: 2000, currency: "usd", duration: "forever" });
    const gst = await ok("POST", "/v1/tax_rates", { display_name: "GST", percentage: 10, inclusive: true });
    const { clock, subscription } = await subscribeOnClock(
      "2026-01-15T00:00:00Z",
      { amount: 12000, interval: "year" },
      { coupon: coupon.id, default_tax_rates: [gst.id] },
    );
    await advance(clock.id, "2027-01-09T00:00:00Z");
    const events = await ok("GET", `/v1/subscriptions/${subscription.id}/events?limit=100`);
    const upcoming = events.data.find((e: any) => e.type === "invoice.upcoming").data.object;
    // 12000 − 2000 = 10000, GST inside it: round(10000 × 10 / 110) = 909.
    expect(upcoming).toMatchObject({
      subtotal: 12000,
      total_discount_amounts: [{ coupon: coupon.id, amount: 2000 }],
      tax: 909,
      total_tax_amounts: [{ tax_rate: gst.id, inclusive: true, amount: 909, display_name: "GST 10% (included)" }],
      total: 10000,
    });
    await advance(clock.id, "2027-01-15T00:00:00Z");
    const renewal = (await invoicesOf(subscription.id))[1];
    expect([renewal.subtotal, renewal.tax, renewal.total]).toEqual([12000, 909, 10000]);
  });

  it("answers bad input on every discount and tax route with a 4xx in the envelope, never 500", async () => {
    const coupon = await ok("POST", "/v1/coupons", { percent_off: 10 });
    const { subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    const cases: [string, string, unknown?][] = [
      ["POST", "/v1/coupons", { percent_off: 1e308 }],
      ["POST", "/v1/coupons", { amount_off: 1e20, currency: "usd" }],
      ["POST", "/v1/coupons", { percent_off: 10, redeem_by: "tomorrow" }],
      ["POST", "/v1/coupons", { percent_off: 10, applies_to: { plans: [] } }],
      ["POST", "/v1/coupons", { id: "Bad Id", percent_off: 10 }],
      ["POST", "/v1/coupons", { percent_off: 10, color: "red" }],
      ["PATCH", `/v1/coupons/${coupon.id}`, { duration: "forever" }],
      ["DELETE", "/v1/coupons/co_NOPE"],
      ["GET", "/v1/coupons/not a coupon"],
      ["POST", "/v1/promotion_codes", { coupon: coupon.id, code: "no spaces" }],
      ["POST", "/v1/promotion_codes", { coupon: "nope-nope", code: "VALID1" }],
      ["POST", "/v1/promotion_codes", { coupon: coupon.id, code: "VALID2", expires_at: "soon" }],
      ["POST", "/v1/promotion_codes", { coupon: coupon.id, code: "VALID3", restrictions: { minimum_amount: 5 } }],
      ["GET", "/v1/promotion_codes?active=maybe"],
      ["GET", `/v1/promotion_codes?coupon=${coupon.id}&cursor=garbage`],
      ["GET", "/v1/promotion_codes/promo_NOPE"],
      ["PATCH", "/v1/promotion_codes/promo_01KZZZZZZZZZZZZZZZZZZZZZZZ", { active: false }],
      ["POST", `/v1/subscriptions/${subscription.id}/discount`, { coupon: coupon.id, promotion_code: "promo_x" }],
      ["POST", `/v1/subscriptions/${subscription.id}/discount`, {}],
      ["POST", `/v1/subscriptions/${subscription.id}/discount`, { promotion_code: "promo_01KZZZZZZZZZZZZZZZZZZZZZZZ" }],
      ["POST", `/v1/subscriptions/${subscription.id}/tax_rates`, { default_tax_rates: ["a", "b", "c", "d", "e", "f"] }],
      ["POST", `/v1/subscriptions/${subscription.id}/tax_rates`, { default_tax_rates: ["txr_nope"] }],
      ["POST", "/v1/tax_rates", { display_name: "X", percentage: 101, inclusive: false }],
      ["POST", "/v1/tax_rates", { display_name: "X", percentage: 5, inclusive: false, country: "de" }],
      ["PATCH", "/v1/tax_rates/txr_01KZZZZZZZZZZZZZZZZZZZZZZZ", { percentage: 5 }],
      ["GET", "/v1/tax_rates?limit=0"],
    ];
    for (const [method, path, body] of cases) {
      const r = await api(method, path, body);
      expect([r.status >= 400 && r.status < 500, typeof r.body.error?.code], `${method} ${path}`).toEqual([
        true,
        "string",
      ]);
    }
    // Nothing was counted by any of them.
    expect((await ok("GET", `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(0);
  });
});
