import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { finalizeTotals } from "../../src/domain/invoice";
import type { DraftLine } from "../../src/domain/proration";

const line = (amount: number, type: DraftLine["type"] = "proration"): DraftLine => ({
  type,
  description: `${type} ${amount}`,
  amount,
  quantity: 1,
  plan: "plan_pro",
  periodStart: 1_775_001_600,
  periodEnd: 1_777_593_600,
});

describe("invoice totals at finalization", () => {
  it("sums a renewal with pending proration lines into an open invoice", () => {
    const lines = [line(2000, "subscription"), line(-500), line(1000), line(250, "invoice_item")];
    expect(finalizeTotals(lines, 0)).toEqual({
      subtotal: 2750,
      totalDiscount: 0,
      tax: 0,
      total: 2750,
      creditApplied: 0,
      amountDue: 2750,
      creditBalanceAfter: 0,
      status: "open",
    });
  });

  it("marks a negative total paid with nothing due, and adds −total to the credit balance", () => {
    expect(finalizeTotals([line(-2500), line(1000)], 300)).toEqual({
      subtotal: -1500,
      totalDiscount: 0,
      tax: 0,
      total: -1500,
      creditApplied: 0,
      amountDue: 0,
      creditBalanceAfter: 1800,
      status: "paid",
    });
  });

  it("applies part of the credit balance when it is smaller than the total", () => {
    expect(finalizeTotals([line(1500, "subscription")], 400)).toEqual({
      subtotal: 1500,
      totalDiscount: 0,
      tax: 0,
      total: 1500,
      creditApplied: 400,
      amountDue: 1100,
      creditBalanceAfter: 0,
      status: "open",
    });
  });

  it("pays an invoice entirely from credit and keeps the rest of the balance", () => {
    expect(finalizeTotals([line(1500, "subscription")], 2000)).toEqual({
      subtotal: 1500,
      totalDiscount: 0,
      tax: 0,
      total: 1500,
      creditApplied: 1500,
      amountDue: 0,
      creditBalanceAfter: 500,
      status: "paid",
    });
  });

  it("pays an invoice whose credit exactly covers the total", () => {
    const totals = finalizeTotals([line(1000, "subscription")], 1000);
    expect(totals.creditApplied).toBe(1000);
    expect(totals.amountDue).toBe(0);
    expect(totals.creditBalanceAfter).toBe(0);
    expect(totals.status).toBe("paid");
  });

  it("marks a zero-total invoice paid without touching the credit", () => {
    expect(finalizeTotals([line(1000), line(-1000)], 700)).toEqual({
      subtotal: 0,
      totalDiscount: 0,
      tax: 0,
      total: 0,
      creditApplied: 0,
      amountDue: 0,
      creditBalanceAfter: 700,
      status: "paid",
    });
    expect(finalizeTotals([], 0).status).toBe("paid");
  });

  it("refuses a total that would lose precision", () => {
    expect(() => finalizeTotals([line(Number.MAX_SAFE_INTEGER), line(1)], 0)).toThrow("amount overflow");
  });
});

describe("invoice totals, for any lines and credit balance", () => {
  const amounts = fc.array(fc.integer({ min: -10_000_000, max: 10_000_000 }), { maxLength: 20 });
  const credit = fc.integer({ min: 0, max: 50_000_000 });

  it("makes the subtotal and total the sum of the lines", () => {
    fc.assert(
      fc.property(amounts, credit, (xs, c) => {
        const totals = finalizeTotals(
          xs.map((x) => line(x)),
          c,
        );
        const sum = xs.reduce((a, b) => a + b, 0);
        expect(totals.subtotal).toBe(sum);
        expect(totals.total).toBe(sum);
      }),
    );
  });

  it("never applies more credit than the total or the balance, and never asks for a negative amount", () => {
    fc.assert(
      fc.property(amounts, credit, (xs, c) => {
        const t = finalizeTotals(
          xs.map((x) => line(x)),
          c,
        );
        expect(t.creditApplied).toBeGreaterThanOrEqual(0);
        expect(t.creditApplied).toBeLessThanOrEqual(c);
        expect(t.creditApplied).toBeLessThanOrEqual(Math.max(t.total, 0));
        expect(t.creditApplied).toBe(Math.min(c, Math.max(t.total, 0)));
        expect(t.amountDue).toBeGreaterThanOrEqual(0);
        expect(t.amountDue).toBe(Math.max(t.total, 0) - t.creditApplied);
        expect(t.creditBalanceAfter).toBeGreaterThanOrEqual(0);
        expect(t.status).toBe(t.amountDue === 0 ? "paid" : "open");
      }),
    );
  });

  it("conserves money: balance before + amount due = balance after + total", () => {
    fc.assert(
      fc.property(amounts, credit, (xs, c) => {
        const t = finalizeTotals(
          xs.map((x) => line(x)),
          c,
        );
        expect(c + t.amountDue).toBe(t.creditBalanceAfter + t.total);
      }),
    );
  });
});
