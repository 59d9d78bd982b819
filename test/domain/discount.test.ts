import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Cadence } from "../../src/domain/billing-period";
import type { Decided, Decision } from "../../src/domain/decision";
import type { Coupon } from "../../src/domain/discount";
import { currentDiscount, discountAppliesAt, lineDiscounts, startDiscount } from "../../src/domain/discount";
import { finalizeTotals } from "../../src/domain/invoice";
import {
  decideChange,
  decideDiscountEnd,
  decideInvoiceNow,
  decideRenewal,
  decideStart,
} from "../../src/domain/lifecycle";
import { recurringAmount } from "../../src/domain/mrr";
import { priceLines, totalDiscountAmounts, totalTaxAmounts } from "../../src/domain/pricing";
import type { DraftLine } from "../../src/domain/proration";
import type { PlanTerms, SubscriptionState } from "../../src/domain/subscription";
import type { TaxRateTerms } from "../../src/domain/tax";
import { taxOf } from "../../src/domain/tax";
import { parseIso } from "../../src/domain/time";

// Rule 13 (discounts) and rule 16 (tax) with exact amounts, no Worker.

const at = (iso: string): number => parseIso(iso)!;
const monthly: Cadence = { interval: "month", intervalCount: 1 };
const plan = (id: string, amount: number): PlanTerms => ({
  id,
  name: id,
  currency: "usd",
  amount,
  cadence: monthly,
  trialDays: 0,
});
const coupon = (fields: Partial<Coupon>): Coupon => ({
  id: "co_test",
  name: null,
  percentOffHundredths: null,
  amountOff: null,
  currency: null,
  duration: "forever",
  durationInMonths: null,
  maxRedemptions: null,
  redeemBy: null,
  appliesToPlans: null,
  metadata: {},
  created: 0,
  ...fields,
});
const line = (amount: number, fields: Partial<DraftLine> = {}): DraftLine => ({
  type: "subscription",
  description: `line ${amount}`,
  amount,
  quantity: 1,
  plan: "basic",
  periodStart: 0,
  periodEnd: 100,
  ...fields,
});
const vat = (percent: number, inclusive = false, id = "txr_vat"): TaxRateTerms => ({
  id,
  percentageMicros: Math.round(percent * 10_000),
  inclusive,
});
function accepted(decided: Decided): Decision {
  if (decided.ok) return decided.decision;
  throw new Error(`refused: ${decided.error.code}`);
}
const jan31 = at("2026-01-31T10:00:00Z");

describe("the discount window (rule 13b)", () => {
  it("ends a repeating discount after its months by the calendar of rule 1 (day clamped, same time)", () => {
    const d = startDiscount(coupon({ duration: "repeating", durationInMonths: 1 }), null, jan31);
    expect(d.end).toBe(at("2026-02-28T10:00:00Z"));
    const three = startDiscount(coupon({ duration: "repeating", durationInMonths: 3 }), null, jan31);
    expect(three.end).toBe(at("2026-04-30T10:00:00Z"));
    expect(discountAppliesAt(three, at("2026-04-30T09:59:59Z"))).toBe(true);
    expect(discountAppliesAt(three, at("2026-04-30T10:00:00Z"))).toBe(false);
    expect(currentDiscount(three, at("2026-04-30T10:00:00Z"))).toBeNull();
  });

  it("keeps a forever discount with no end", () => {
    const d = startDiscount(coupon({ duration: "forever" }), "promo_1", jan31);
    expect(d).toMatchObject({ promotionCode: "promo_1", start: jan31, end: null });
    expect(discountAppliesAt(d, at("2036-01-31T10:00:00Z"))).toBe(true);
  });

  it("gives a once discount to the first invoice only, and ends it at that invoice's creation", () => {
    const discount = startDiscount(coupon({ duration: "once", percentOffHundredths: 5000 }), null, jan31);
    const d = accepted(
      decideStart({
        plan: plan("basic", 1000),
        quantity: 1,
        now: jan31,
        trialDays: 0,
        billingCycleAnchor: null,
        discount,
      }),
    );
    expect(d.issue[0]!.totals).toMatchObject({ subtotal: 1000, totalDiscount: 500, total: 500 });
    expect(d.state.discount?.end).toBe(jan31);
    const renewal = decideRenewal({ state: d.state, pending: [], openInvoices: [] }, d.state.currentPeriodEnd);
    expect(renewal.issue[0]!.totals).toMatchObject({ subtotal: 1000, totalDiscount: 0, total: 1000 });
  });

  it("discounts every renewal created before a repeating discount ends, and none after", () => {
    const discount = startDiscount(
      coupon({ duration: "repeating", durationInMonths: 2, percentOffHundredths: 2000 }),
      null,
      jan31,
    );
    let state: SubscriptionState = accepted(
      decideStart({
        plan: plan("basic", 1000),
        quantity: 1,
        now: jan31,
        trialDays: 0,
        billingCycleAnchor: null,
        discount,
      }),
    ).state;
    const totals: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const d = decideRenewal({ state, pending: [], openInvoices: [] }, state.currentPeriodEnd);
      totals.push(d.issue[0]!.totals.total);
      state = d.state;
    }
    // Feb 28 is inside [Jan 31, Mar 31); Mar 31 10:00 is the end itself: not discounted.
    expect(totals).toEqual([800, 1000, 1000]);
  });
});

describe("line discounts (rule 13c, 13d)", () => {
  it("takes percent_off per eligible line, halves rounded away from zero", () => {
    const c = coupon({ percentOffHundredths: 1250 });
    // 12.5 % of 1004 = 125.5 → 126; of 20 = 2.5 → 3; of −20 (an invoice item) = −2.5 → −3.
    expect(lineDiscounts(c, [line(1004), line(20), line(-20, { type: "invoice_item", plan: null })])).toEqual([
      126, 3, -3,
    ]);
  });

  it("never gives a credit for unused time the invoice's discount", () => {
    const c = coupon({ percentOffHundredths: 5000 });
    expect(lineDiscounts(c, [line(-500, { type: "proration" }), line(700, { type: "proration" })])).toEqual([0, 350]);
  });

  it("reaches only lines of the listed plans with applies_to", () => {
    const c = coupon({ percentOffHundredths: 1000, appliesToPlans: ["pro"] });
    expect(
      lineDiscounts(c, [line(1000), line(2000, { plan: "pro" }), line(300, { type: "invoice_item", plan: null })]),
    ).toEqual([0, 200, 0]);
  });

  it("splits amount_off over eligible non-negative lines, shares floored, the rest to the largest line", () => {
    const c = coupon({ amountOff: 1000, currency: "usd" });
    // 1000 × 400/1200 = 333.3 → 333 each; the rest (1) to the first of the equal largest.
    expect(
      lineDiscounts(c, [line(400), line(400), line(400), line(-100, { type: "invoice_item", plan: null })]),
    ).toEqual([334, 333, 333, 0]);
  });

  it("caps amount_off at the eligible lines' sum", () => {
    const c = coupon({ amountOff: 5000, currency: "usd" });
    expect(lineDiscounts(c, [line(1200), line(800)])).toEqual([1200, 800]);
  });
});

describe("tax (rule 16)", () => {
  it("adds exclusive tax on the amount after discount, and finds inclusive tax inside it", () => {
    expect(taxOf(1000, vat(20))).toBe(200);
    expect(taxOf(1000, vat(20, true))).toBe(167); // 1000 × 20/120 = 166.67
    expect(taxOf(-250, vat(8.875))).toBe(-22); // −22.1875
    expect(taxOf(1000, vat(7.25))).toBe(73); // 72.5 rounds away from zero
  });

  it("taxes each line after its discount, rate by rate without compounding", () => {
    const c = coupon({ percentOffHundredths: 1000 });
    const discount = startDiscount(c, null, 0);
    const lines = priceLines(
      [line(1000), line(333, { type: "invoice_item", plan: null })],
      {
        discount,
        taxRates: [vat(20), vat(5, true, "txr_incl")],
      },
      10,
    );
    expect(lines.map((l) => [l.discounts, l.taxes.map((t) => t.amount)])).toEqual([
      [[{ coupon: "co_test", amount: 100 }], [180, 43]],
      [[{ coupon: "co_test", amount: 33 }], [60, 14]],
    ]);
    expect(totalDiscountAmounts(lines)).toEqual([{ coupon: "co_test", amount: 133 }]);
    expect(totalTaxAmounts(lines)).toEqual([
      { taxRate: "txr_vat", inclusive: false, amount: 240 },
      { taxRate: "txr_incl", inclusive: true, amount: 57 },
    ]);
    // total = 1333 − 133 + 240 (the inclusive 57 is already inside).
    expect(finalizeTotals(lines, 100)).toEqual({
      subtotal: 1333,
      totalDiscount: 133,
      tax: 297,
      total: 1440,
      creditApplied: 100,
      amountDue: 1340,
      creditBalanceAfter: 0,
      status: "open",
    });
  });
});

describe("a credit for unused time carries its period's discount (rule 13d)", () => {
  const pro = plan("pro", 2000);
  const basic = plan("basic", 1000);
  const apr1 = at("2026-04-01T00:00:00Z");
  const apr16 = at("2026-04-16T00:00:00Z"); // 15 of April's 30 days left: f = 1/2

  it("credits a customer on 50 % off what they paid when they downgrade mid-period", () => {
    const discount = startDiscount(coupon({ percentOffHundredths: 5000 }), null, apr1);
    const started = accepted(
      decideStart({ plan: pro, quantity: 1, now: apr1, trialDays: 0, billingCycleAnchor: null, discount }),
    );
    expect(started.issue[0]!.totals.total).toBe(1000);
    expect(started.state.periodDiscount).toEqual({ coupon: "co_test", amount: 1000 });
    const change = accepted(
      decideChange(
        { state: started.state, pending: [], openInvoices: [] },
        { plan: basic, quantity: null, prorationBehavior: "always_invoice", now: apr16 },
      ),
    );
    const [invoice] = change.issue;
    expect(invoice!.lines.map((l) => [l.amount, l.discounts])).toEqual([
      [-1000, [{ coupon: "co_test", amount: -500 }]],
      [500, [{ coupon: "co_test", amount: 250 }]],
    ]);
    // Credited 500 (what half of April cost at 50 % off), charged 250: total −250 becomes credit.
    expect(invoice!.totals).toMatchObject({
      subtotal: -500,
      totalDiscount: -250,
      total: -250,
      creditBalanceAfter: 250,
    });
  });

  it("carries the discount into a pending credit, even once the discount has ended", () => {
    const discount = startDiscount(coupon({ percentOffHundredths: 5000 }), null, apr1);
    const started = accepted(
      decideStart({ plan: pro, quantity: 1, now: apr1, trialDays: 0, billingCycleAnchor: null, discount }),
    );
    const change = accepted(
      decideChange(
        { state: { ...started.state, discount: null }, pending: [], openInvoices: [] },
        { plan: basic, quantity: null, prorationBehavior: "create_prorations", now: apr16 },
      ),
    );
    const invoiced = accepted(
      decideInvoiceNow({ state: change.state, pending: change.pendingAdded, openInvoices: [] }, apr16 + 60),
    );
    expect(invoiced.issue[0]!.lines.map((l) => [l.amount, l.discounts])).toEqual([
      [-1000, [{ coupon: "co_test", amount: -500 }]],
      [500, []],
    ]);
    expect(invoiced.issue[0]!.totals.total).toBe(0);
  });
});

describe("invariants (property-based)", () => {
  const arbLine = fc.record({
    type: fc.constantFrom("subscription" as const, "proration" as const, "invoice_item" as const),
    amount: fc.integer({ min: -100_000, max: 100_000 }),
    plan: fc.constantFrom("basic", "pro", null),
  });
  const arbCoupon = fc.oneof(
    fc.integer({ min: 1, max: 10_000 }).map((p) => coupon({ percentOffHundredths: p })),
    fc.integer({ min: 1, max: 200_000 }).map((a) => coupon({ amountOff: a, currency: "usd" })),
  );
  const arbRates = fc.array(fc.record({ p: fc.integer({ min: 0, max: 1_000_000 }), inclusive: fc.boolean() }), {
    maxLength: 5,
  });

  it("total = subtotal − discounts + exclusive tax, and no discount exceeds its eligible amount", () => {
    fc.assert(
      fc.property(
        fc.array(arbLine, { maxLength: 8 }),
        arbCoupon,
        arbRates,
        fc.boolean(),
        (raw, c, rates, plansOnly) => {
          const theCoupon = plansOnly ? { ...c, appliesToPlans: ["pro"] } : c;
          const lines = raw.map((r) => line(r.amount, r));
          const taxRates = rates.map((r, i) => ({ id: `txr_${i}`, percentageMicros: r.p, inclusive: r.inclusive }));
          const priced = priceLines(lines, { discount: startDiscount(theCoupon, null, 0), taxRates }, 1);
          const totals = finalizeTotals(priced, 0);
          const exclusive = priced.flatMap((l) => l.taxes).filter((t) => !t.inclusive);
          expect(totals.total).toBe(
            totals.subtotal - totals.totalDiscount + exclusive.reduce((s, t) => s + t.amount, 0),
          );
          for (const l of priced) {
            const d = l.discounts.reduce((s, x) => s + x.amount, 0);
            expect(Math.abs(d)).toBeLessThanOrEqual(Math.abs(l.amount));
            if (d !== 0) expect(l.type === "proration" && l.amount < 0).toBe(false);
          }
          if (theCoupon.amountOff !== null) {
            const eligibleSum = priced
              .filter((l) => l.amount >= 0 && (theCoupon.appliesToPlans === null || l.plan === "pro"))
              .reduce((s, l) => s + l.amount, 0);
            expect(totals.totalDiscount).toBe(Math.min(theCoupon.amountOff, eligibleSum));
          }
        },
      ),
    );
  });

  it("never credits more than was paid for the credited time", () => {
    const apr1 = at("2026-04-01T00:00:00Z");
    const may1 = at("2026-05-01T00:00:00Z");
    fc.assert(
      fc.property(
        arbCoupon,
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: apr1, max: may1 }),
        (c, amount, quantity, t) => {
          const discount = startDiscount(c, null, apr1);
          const started = accepted(
            decideStart({
              plan: plan("pro", amount),
              quantity,
              now: apr1,
              trialDays: 0,
              billingCycleAnchor: null,
              discount,
            }),
          );
          const paid = started.issue[0]!.totals.total;
          const change = accepted(
            decideChange(
              { state: started.state, pending: [], openInvoices: [] },
              { plan: plan("basic", 0), quantity: null, prorationBehavior: "always_invoice", now: t },
            ),
          );
          const credit = change.issue[0]?.lines[0];
          if (!credit || credit.amount === 0) return;
          const net = -(credit.amount - credit.discounts.reduce((s, d) => s + d.amount, 0));
          // What was paid for [t, may1), rounded up: the credit never exceeds it.
          const unusedPaid = Math.ceil((paid * (may1 - t)) / (may1 - apr1));
          expect(net).toBeLessThanOrEqual(unusedPaid);
          expect(net).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe("MRR with a discount", () => {
  const apr1 = at("2026-04-01T00:00:00Z");
  const state = (c: Coupon | null): SubscriptionState => {
    const s = accepted(
      decideStart({ plan: plan("pro", 2000), quantity: 3, now: apr1, trialDays: 0, billingCycleAnchor: null }),
    ).state;
    return { ...s, discount: c ? startDiscount(c, null, apr1) : null };
  };

  it("lowers MRR by a forever discount and by a repeating one the next renewal still takes", () => {
    expect(recurringAmount(state(null))).toBe(6000);
    expect(recurringAmount(state(coupon({ percentOffHundredths: 2500, duration: "forever" })))).toBe(4500);
    expect(
      recurringAmount(state(coupon({ amountOff: 1000, currency: "usd", duration: "repeating", durationInMonths: 3 }))),
    ).toBe(5000);
  });

  it("does not lower MRR by a once discount, nor by a repeating one ending before the next renewal", () => {
    expect(recurringAmount(state(coupon({ percentOffHundredths: 5000, duration: "once" })))).toBe(6000);
    // One month from Apr 1 ends May 1, the next renewal itself: that invoice is full price.
    expect(
      recurringAmount(state(coupon({ percentOffHundredths: 5000, duration: "repeating", durationInMonths: 1 }))),
    ).toBe(6000);
  });
});

describe("a discount's end as a job (rule 13b)", () => {
  it("schedules a repeating discount's end, which drops it and reports subscription.updated", () => {
    const jan31 = at("2026-01-31T10:00:00Z");
    const discount = startDiscount(
      coupon({ duration: "repeating", durationInMonths: 1, percentOffHundredths: 1000 }),
      null,
      jan31,
    );
    const started = accepted(
      decideStart({
        plan: plan("basic", 1000),
        quantity: 1,
        now: jan31,
        trialDays: 0,
        billingCycleAnchor: null,
        discount,
      }),
    );
    const feb28 = at("2026-02-28T10:00:00Z");
    expect(started.jobs).toContainEqual({ op: "schedule", kind: "discount_end", dueAt: feb28, invoice: null });
    const ended = decideDiscountEnd({ state: started.state, pending: [], openInvoices: [] }, feb28);
    expect(ended.state.discount).toBeNull();
    expect(ended.events.map((e) => e.type)).toEqual(["subscription.updated"]);
    // A job that runs again finds nothing to end.
    expect(decideDiscountEnd({ state: ended.state, pending: [], openInvoices: [] }, feb28).events).toEqual([]);
  });
});
