import { describe, expect, it } from "vitest";
import { answerSettles } from "../../src/domain/charge-result";
import { closeRefusal, payRefusal } from "../../src/domain/collection";
import type { Ledger } from "../../src/domain/decision";
import { decideJobLeftDue } from "../../src/domain/decision";
import { attemptIsPaced } from "../../src/domain/payment-attempt";
import { decidePaymentDetailsCopy } from "../../src/domain/payment-details";
import type { SubscriptionState } from "../../src/domain/subscription";
import { decideUpcomingNotice } from "../../src/domain/upcoming";
import { activeMonthly, april1, may1 } from "./fixtures";

// The writes that used to happen outside a Decision, as decisions, without a Worker: the
// upcoming notice, the subscription's copy of the customer's payment details, and the job
// loop dropping a job that left itself due.

const ledger = (state: SubscriptionState): Ledger => ({ state, pending: [], openInvoices: [] });

describe("decideUpcomingNotice", () => {
  it("marks the period announced (its derived job moves past: no row to cancel) and emits invoice.upcoming for the renewal's invoice", () => {
    const state = activeMonthly();
    const d = decideUpcomingNotice(ledger(state));
    expect(d.state).toBe(state);
    expect(d.jobs).toEqual([]);
    expect(d.upcomingSentFor).toBe(may1);
    expect(d.events).toEqual([{ type: "invoice.upcoming", subject: { upcoming: true } }]);
    expect(d.issue).toEqual([]);
  });

  it("emits nothing when the renewal makes no invoice (a subscription ending at period end), but still marks the period", () => {
    const d = decideUpcomingNotice(ledger({ ...activeMonthly(), cancelAtPeriodEnd: true }));
    expect(d.events).toEqual([]);
    expect(d.upcomingSentFor).toBe(may1);
    expect(d.jobs).toEqual([]);
  });

  it("emits nothing for an ended subscription", () => {
    const d = decideUpcomingNotice(ledger({ ...activeMonthly(), status: "canceled", endedAt: april1 }));
    expect(d.events).toEqual([]);
    expect(d.upcomingSentFor).toBe(may1);
  });
});

describe("decidePaymentDetailsCopy", () => {
  const v = (version: number, paymentMethod: string | null = `pm_${version}`) => ({
    paymentMethod,
    gatewayCustomer: "cus_gw",
    version,
  });

  it("keeps the first copy", () => {
    const d = decidePaymentDetailsCopy(ledger(activeMonthly()), null, v(1));
    expect(d?.paymentDetails).toEqual({ paymentMethod: "pm_1", gatewayCustomer: "cus_gw", version: 1 });
    expect(d?.events).toEqual([]);
    expect(d?.jobs).toEqual([]);
  });

  it("keeps a newer version", () => {
    expect(decidePaymentDetailsCopy(ledger(activeMonthly()), v(3), v(4, null))?.paymentDetails).toEqual({
      paymentMethod: null,
      gatewayCustomer: "cus_gw",
      version: 4,
    });
  });

  it("refuses the same version (a push delivered twice) and an older one (out of order)", () => {
    expect(decidePaymentDetailsCopy(ledger(activeMonthly()), v(4), v(4))).toBeNull();
    expect(decidePaymentDetailsCopy(ledger(activeMonthly()), v(4), v(2))).toBeNull();
  });
});

describe("decideJobLeftDue", () => {
  it("drops an invoice's job and nothing else", () => {
    const state = activeMonthly();
    const d = decideJobLeftDue(ledger(state), "retry_payment", "in_1");
    expect(d.jobs).toEqual([{ op: "cancel", kind: "retry_payment", invoice: { id: "in_1" } }]);
    expect(d.state).toBe(state);
    expect(d.events).toEqual([]);
  });

  it("drops the subscription's own job (no invoice)", () => {
    expect(decideJobLeftDue(ledger(activeMonthly()), "renew", "").jobs).toEqual([
      { op: "cancel", kind: "renew", invoice: null },
    ]);
  });

  it("drops the derived invoice_upcoming job by marking its period announced (no row to delete)", () => {
    const d = decideJobLeftDue(ledger(activeMonthly()), "invoice_upcoming", "");
    expect(d.jobs).toEqual([]);
    expect(d.upcomingSentFor).toBe(may1);
    expect(d.events).toEqual([]);
  });
});

describe("rules the subscription actor used to decide itself", () => {
  it("payRefusal: /pay attempts only an open invoice", () => {
    expect(payRefusal({ status: "open" })).toBeNull();
    expect(payRefusal({ status: "paid" })).toEqual({
      code: "invoice_not_open",
      message: "The invoice is paid; only an open invoice can be paid.",
    });
    expect(payRefusal({ status: "void" })?.code).toBe("invoice_not_open");
  });

  it("closeRefusal: an open invoice with a pending attempt waits (409); a settled one or a draft goes ahead", () => {
    const pending = [{ status: "pending" as const, method: "card" as const, onRequest: false }];
    const settled = [{ status: "failed" as const, method: "card" as const, onRequest: false }];
    expect(closeRefusal({ status: "open" }, pending, "uncollectible")).toEqual({
      conflict: true,
      code: "payment_pending",
      message:
        "A payment attempt on this invoice is still pending at the gateway; you can mark uncollectible it once that attempt settles.",
    });
    expect(closeRefusal({ status: "open" }, pending, "void")?.message).toContain("you can void it");
    expect(closeRefusal({ status: "open" }, settled, "void")).toBeNull();
    expect(closeRefusal({ status: "draft" }, pending, "void")).toBeNull();
  });

  it("attemptIsPaced: only in real time, only on an open invoice", () => {
    expect(attemptIsPaced(false, { status: "open" })).toBe(true);
    expect(attemptIsPaced(true, { status: "open" })).toBe(false);
    expect(attemptIsPaced(false, { status: "paid" })).toBe(false);
    expect(attemptIsPaced(false, undefined)).toBe(false);
  });

  it("answerSettles: only a final answer settles, and only a pending payment", () => {
    expect(answerSettles("pending", "succeeded")).toBe(true);
    expect(answerSettles("pending", "failed")).toBe(true);
    expect(answerSettles("pending", "pending")).toBe(false);
    expect(answerSettles("succeeded", "failed")).toBe(false);
    expect(answerSettles("refunded", "succeeded")).toBe(false);
  });
});
