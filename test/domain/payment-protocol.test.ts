import { describe, expect, it } from "vitest";
import {
  decideChargeResult,
  decideRefunded,
  decideRefundSetback,
  decideRefundsDone,
  REFUND_MAX_FAULTS,
  REFUND_MAX_REFUSALS,
  refundsDue,
} from "../../src/domain/charge-result";
import { decideAttemptFailed, decideManualPayment } from "../../src/domain/collection";
import type { Decision, InvoiceFacts, JobChange, Ledger } from "../../src/domain/decision";
import { decideRenewal } from "../../src/domain/lifecycle";
import type { AttemptRequest } from "../../src/domain/payment-attempt";
import {
  decideAttempt,
  decideChargeWaitsForSlot,
  decideDeferToSlot,
  decideReconcile,
  decideRetryJobDropped,
  slotToWaitFor,
  withFirstAttempt,
} from "../../src/domain/payment-attempt";
import type { PaymentRecord } from "../../src/domain/payment-records";
import { attemptKey, refundKey } from "../../src/domain/payment-records";
import { DEFAULT_DUNNING } from "../../src/domain/retry-schedule";
import { upcomingDueAt, upcomingPassedOver } from "../../src/domain/upcoming";
import { activeMonthly, april1, may1 } from "./fixtures";

// The payment protocol as decisions, without a Worker: the attempt gate and numbering,
// the gateway's answer, reconciliation, refunds, pacing and the upcoming notice's job.

const HOUR = 3_600;

const state = activeMonthly();
const invoice = (fields: Partial<InvoiceFacts> = {}): InvoiceFacts => ({
  id: "in_1",
  status: "open",
  billingReason: "subscription_cycle",
  currency: "usd",
  created: april1,
  amountDue: 1000,
  amountPaid: 300,
  creditApplied: 0,
  attemptCount: 2,
  ...fields,
});
const ledgerOf = (open: InvoiceFacts[] = [invoice()]): Ledger => ({ state, pending: [], openInvoices: open });
const payment = (fields: Partial<PaymentRecord> = {}): PaymentRecord => ({
  id: "pay_1",
  invoiceId: "in_1",
  amount: 700,
  currency: "usd",
  status: "pending",
  method: "card",
  onRequest: false,
  attempt: 3,
  gatewayKey: "in_1:attempt:3",
  gatewayReference: null,
  paymentMethod: "pm_card_visa",
  gatewayCustomer: "cus_1",
  refundReference: null,
  refundTries: 0,
  refundFailure: null,
  needsAttention: false,
  created: april1,
  ...fields,
});
const request = (fields: Partial<AttemptRequest> = {}): AttemptRequest => ({
  invoiceId: "in_1",
  invoice: invoice(),
  payments: [],
  expectedAttempts: 2,
  onRequest: false,
  paymentMethod: "pm_card_visa",
  gatewayCustomer: "cus_1",
  paymentId: "pay_new",
  at: april1,
  ...fields,
});
const nothingBut = (d: Decision, fields: Partial<Decision>) =>
  expect(d).toEqual({
    state,
    issue: [],
    invoiceUpdates: [],
    pendingConsumed: false,
    pendingAdded: [],
    events: [],
    jobs: [],
    paymentsAdded: [],
    paymentsSettled: [],
    refundsRecorded: [],
    refundTries: [],
    refundsFailed: [],
    paymentsFlagged: [],
    ...fields,
  });

describe("the gateway keys", () => {
  it("are one per invoice and attempt, and one per refunded payment", () => {
    expect(attemptKey("in_1", 3)).toBe("in_1:attempt:3");
    expect(refundKey(attemptKey("in_1", 3))).toBe("in_1:attempt:3:refund");
  });
});

describe("decideAttempt (the gate and the numbering)", () => {
  it("a scheduled attempt: attempt n+1 of the amount remaining, its retry job and next attempt cleared, a pending row and a reconcile job at +300 s", () => {
    const { decision, charge } = decideAttempt(ledgerOf(), request());
    nothingBut(decision, {
      invoiceUpdates: [{ invoice: { id: "in_1" }, attemptCount: 3, nextPaymentAttempt: null }],
      jobs: [
        { op: "cancel", kind: "retry_payment", invoice: { id: "in_1" } },
        { op: "schedule", kind: "reconcile_payment", dueAt: april1 + 300, invoice: { id: "in_1" } },
      ],
      paymentsAdded: [
        {
          id: "pay_new",
          invoiceId: "in_1",
          amount: 700,
          currency: "usd",
          status: "pending",
          method: "card",
          attempt: 3,
          reference: null,
          gatewayKey: "in_1:attempt:3",
          paymentMethod: "pm_card_visa",
          gatewayCustomer: "cus_1",
          onRequest: false,
          created: april1,
        },
      ],
    });
    expect(charge).toEqual({
      paymentId: "pay_new",
      invoiceId: "in_1",
      amount: 700,
      currency: "usd",
      idempotencyKey: "in_1:attempt:3",
      paymentMethod: "pm_card_visa",
      gatewayCustomer: "cus_1",
    });
  });

  it("an attempt on request is counted but leaves the schedule as it is", () => {
    const { decision, charge } = decideAttempt(ledgerOf(), request({ onRequest: true }));
    expect(decision.invoiceUpdates).toEqual([{ invoice: { id: "in_1" }, attemptCount: 3 }]);
    expect(decision.jobs).toEqual([
      { op: "schedule", kind: "reconcile_payment", dueAt: april1 + 300, invoice: { id: "in_1" } },
    ]);
    expect(decision.paymentsAdded.map((p) => [p.onRequest, p.gatewayKey])).toEqual([[true, "in_1:attempt:3"]]);
    expect(charge?.idempotencyKey).toBe("in_1:attempt:3");
  });

  it("an invoice no longer open (or gone) loses its retry job and is not charged", () => {
    for (const closed of [invoice({ status: "paid" }), undefined]) {
      const { decision, charge } = decideAttempt(ledgerOf([]), request({ invoice: closed }));
      nothingBut(decision, { state, jobs: [{ op: "cancel", kind: "retry_payment", invoice: { id: "in_1" } }] });
      expect(charge).toBeNull();
    }
  });

  it("drops a duplicate: another attempt ran since the caller looked", () => {
    const { decision, charge } = decideAttempt(ledgerOf(), request({ expectedAttempts: 1 }));
    nothingBut(decision, {});
    expect(charge).toBeNull();
  });

  it("a pending attempt holds the invoice: a scheduled attempt tries again in 300 s, one on request is dropped", () => {
    const pending = [payment({ onRequest: true })];
    const scheduled = decideAttempt(ledgerOf(), request({ payments: pending }));
    nothingBut(scheduled.decision, {
      jobs: [{ op: "schedule", kind: "retry_payment", dueAt: april1 + 300, invoice: { id: "in_1" } }],
    });
    expect(scheduled.charge).toBeNull();
    const onRequest = decideAttempt(ledgerOf(), request({ payments: pending, onRequest: true }));
    nothingBut(onRequest.decision, {});
    expect(onRequest.charge).toBeNull();
  });
});

describe("decideRetryJobDropped", () => {
  it("keeps the job of an active subscription's open invoice, drops it when the invoice is gone or the subscription is unpaid", () => {
    expect(decideRetryJobDropped(ledgerOf(), "in_1", invoice())).toBeNull();
    const cancel: JobChange[] = [{ op: "cancel", kind: "retry_payment", invoice: { id: "in_1" } }];
    nothingBut(decideRetryJobDropped(ledgerOf(), "in_1", undefined)!, { jobs: cancel });
    const unpaid: Ledger = { state: { ...state, status: "unpaid" }, pending: [], openInvoices: [invoice()] };
    expect(decideRetryJobDropped(unpaid, "in_1", invoice())?.jobs).toEqual(cancel);
  });
});

describe("decideChargeResult (the gateway's answer, once)", () => {
  const answer = (p: PaymentRecord, inv: InvoiceFacts, a: Parameters<typeof decideChargeResult>[2]["answer"]) =>
    decideChargeResult(
      DEFAULT_DUNNING,
      ledgerOf(inv.status === "open" ? [inv] : []),
      {
        payment: p,
        invoice: inv,
        payments: [p],
        answer: a,
      },
      april1 + 10,
    );

  it("a success on an open invoice settles the payment, ends its reconcile job and pays the invoice", () => {
    const d = answer(payment(), invoice(), { status: "succeeded", reference: "pi_1" });
    expect(d.paymentsSettled).toEqual([
      { payment: "pay_1", status: "succeeded", failureCode: null, failureMessage: null, gatewayReference: "pi_1" },
    ]);
    expect(d.jobs).toEqual([
      { op: "cancel", kind: "reconcile_payment", invoice: { id: "in_1" } },
      { op: "cancel", kind: "retry_payment", invoice: { id: "in_1" } },
      { op: "cancel", kind: "expire_incomplete", invoice: { id: "in_1" } },
    ]);
    expect(d.invoiceUpdates).toEqual([
      { invoice: { id: "in_1" }, amountPaid: 1000, status: "paid", paidAt: april1 + 10, nextPaymentAttempt: null },
    ]);
    expect(d.events.map((e) => e.type)).toEqual(["payment.succeeded", "invoice.paid"]);
  });

  it("a success on a closed invoice is refunded: the payment shows refunded and refund_payment is due now", () => {
    const d = answer(payment(), invoice({ status: "void" }), { status: "succeeded", reference: "pi_1" });
    expect(d.paymentsSettled.map((s) => s.status)).toEqual(["refunded"]);
    expect(d.jobs).toEqual([
      { op: "cancel", kind: "reconcile_payment", invoice: { id: "in_1" } },
      { op: "schedule", kind: "refund_payment", dueAt: april1 + 10, invoice: { id: "in_1" } },
    ]);
    expect(d.events).toEqual([]);
    expect(d.invoiceUpdates).toEqual([]);
  });

  it("a failure on a closed invoice, or on an attempt made on request, is recorded and reported, nothing moves", () => {
    const declined = { status: "failed", code: "card_declined", message: "declined", reference: null } as const;
    const closed = answer(payment(), invoice({ status: "uncollectible" }), declined);
    expect(closed.paymentsSettled).toEqual([
      {
        payment: "pay_1",
        status: "failed",
        failureCode: "card_declined",
        failureMessage: "declined",
        gatewayReference: null,
      },
    ]);
    expect(closed.events.map((e) => e.type)).toEqual(["payment.failed"]);
    expect(closed.jobs).toEqual([{ op: "cancel", kind: "reconcile_payment", invoice: { id: "in_1" } }]);
    const onRequest = answer(payment({ onRequest: true }), invoice(), declined);
    expect(onRequest.events.map((e) => e.type)).toEqual(["payment.failed", "invoice.payment_failed"]);
    expect(onRequest.jobs).toEqual([{ op: "cancel", kind: "reconcile_payment", invoice: { id: "in_1" } }]);
    expect(onRequest.state).toEqual(state);
  });

  it("a failed scheduled attempt takes the rung counted from the scheduled attempts, this one included", () => {
    const earlier = payment({ id: "pay_0", status: "failed", attempt: 1 });
    const onRequest = payment({ id: "pay_r", status: "failed", onRequest: true, attempt: 2 });
    const current = payment();
    const at = april1 + 10;
    const d = decideChargeResult(
      DEFAULT_DUNNING,
      ledgerOf(),
      {
        payment: current,
        invoice: invoice(),
        payments: [earlier, onRequest, current],
        answer: { status: "failed", code: "card_declined", message: "declined", reference: "pi_3" },
      },
      at,
    );
    const rung2 = decideAttemptFailed(DEFAULT_DUNNING, ledgerOf(), invoice(), "pay_1", 2, at);
    const rung3 = decideAttemptFailed(DEFAULT_DUNNING, ledgerOf(), invoice(), "pay_1", 3, at);
    expect(d.invoiceUpdates).toEqual(rung2.invoiceUpdates);
    expect(d.invoiceUpdates).not.toEqual(rung3.invoiceUpdates);
    expect(d.jobs).toEqual([{ op: "cancel", kind: "reconcile_payment", invoice: { id: "in_1" } }, ...rung2.jobs]);
    expect(d.events.map((e) => e.type)).toEqual(["payment.failed", "invoice.payment_failed", "subscription.updated"]);
    expect(d.state.status).toBe("past_due");
  });

  it("still pending: ask again in 300 s; a payment already settled changes nothing", () => {
    nothingBut(answer(payment(), invoice(), { status: "pending", reference: null }), {
      jobs: [{ op: "schedule", kind: "reconcile_payment", dueAt: april1 + 310, invoice: { id: "in_1" } }],
    });
    nothingBut(answer(payment({ status: "succeeded" }), invoice(), { status: "succeeded", reference: "pi_1" }), {});
  });
});

describe("decideReconcile", () => {
  it("asks again, with the first request, about each card payment pending for less than 23 h", () => {
    const young = payment({ created: april1 });
    const old = payment({ id: "pay_old", created: april1 - 23 * HOUR, needsAttention: true });
    const manual = payment({ id: "pay_m", method: "manual" });
    const { decision, charges } = decideReconcile(ledgerOf(), "in_1", [young, old, manual], april1 + 300);
    nothingBut(decision, {});
    expect(charges).toEqual([
      {
        paymentId: "pay_1",
        invoiceId: "in_1",
        amount: 700,
        currency: "usd",
        idempotencyKey: "in_1:attempt:3",
        paymentMethod: "pm_card_visa",
        gatewayCustomer: "cus_1",
      },
    ]);
  });

  it("with nothing left to ask (settled, or past 23 h and flagged), the job goes", () => {
    const old = payment({ created: april1, needsAttention: true });
    const { decision, charges } = decideReconcile(ledgerOf(), "in_1", [old], april1 + 23 * HOUR);
    expect(charges).toEqual([]);
    nothingBut(decision, { jobs: [{ op: "cancel", kind: "reconcile_payment", invoice: { id: "in_1" } }] });
  });
});

describe("refunds", () => {
  it("are owed for refunded payments without a refund yet, under <attempt key>:refund, by the charge's reference", () => {
    const owed = refundsDue([
      payment({ id: "pay_b", status: "refunded", gatewayReference: "pi_b", gatewayKey: "in_1:attempt:2" }),
      payment({ id: "pay_a", status: "refunded", gatewayReference: null, gatewayKey: "in_1:attempt:1" }),
      payment({ id: "pay_c", status: "refunded", refundReference: "re_c" }),
      payment({ id: "pay_d", status: "succeeded" }),
    ]);
    expect(owed).toEqual([
      {
        paymentId: "pay_a",
        tries: 0,
        invoiceId: "in_1",
        chargeReference: "in_1:attempt:1",
        amount: 700,
        currency: "usd",
        idempotencyKey: "in_1:attempt:1:refund",
      },
      {
        paymentId: "pay_b",
        tries: 0,
        invoiceId: "in_1",
        chargeReference: "pi_b",
        amount: 700,
        currency: "usd",
        idempotencyKey: "in_1:attempt:2:refund",
      },
    ]);
  });

  it("record the refund, retry in 300 s on a fault, and end the job when none is left", () => {
    nothingBut(decideRefunded(ledgerOf(), "pay_a", "re_1"), {
      refundsRecorded: [{ payment: "pay_a", reference: "re_1" }],
    });
    const [order] = refundsDue([payment({ id: "pay_a", status: "refunded" })]);
    nothingBut(decideRefundSetback(ledgerOf(), order!, { kind: "fault", message: "ECONNRESET" }, april1), {
      refundTries: ["pay_a"],
      jobs: [{ op: "schedule", kind: "refund_payment", dueAt: april1 + 300, invoice: { id: "in_1" } }],
    });
    nothingBut(decideRefundsDone(ledgerOf(), "in_1"), {
      jobs: [{ op: "cancel", kind: "refund_payment", invoice: { id: "in_1" } }],
    });
  });
});

describe("a pending attempt past the reconcile window", () => {
  const stale = payment({ id: "pay_s", status: "pending", created: april1 });
  const window = 23 * 3600;

  it("is asked about until 23 h, then flagged for attention once, with payment.needs_attention, and the job goes", () => {
    expect(decideReconcile(ledgerOf(), "in_1", [stale], april1 + window - 1).charges.map((c) => c.paymentId)).toEqual([
      "pay_s",
    ]);
    const { decision, charges } = decideReconcile(ledgerOf(), "in_1", [stale], april1 + window);
    expect(charges).toEqual([]);
    nothingBut(decision, {
      paymentsFlagged: ["pay_s"],
      events: [{ type: "payment.needs_attention", subject: { payment: "pay_s" } }],
      jobs: [{ op: "cancel", kind: "reconcile_payment", invoice: { id: "in_1" } }],
    });
    const again = decideReconcile(ledgerOf(), "in_1", [{ ...stale, needsAttention: true }], april1 + window + 300);
    nothingBut(again.decision, { jobs: [{ op: "cancel", kind: "reconcile_payment", invoice: { id: "in_1" } }] });
  });

  it("no longer holds its invoice once flagged: the next attempt goes", () => {
    const held = decideAttempt(ledgerOf(), request({ payments: [stale] }));
    expect(held.charge).toBeNull();
    const freed = decideAttempt(ledgerOf(), request({ payments: [{ ...stale, needsAttention: true }] }));
    expect(freed.charge).toMatchObject({ paymentId: "pay_new", idempotencyKey: "in_1:attempt:3" });
  });
});

describe("a refund that does not go through has an end", () => {
  const owed = (tries: number) => refundsDue([payment({ id: "pay_a", status: "refunded", refundTries: tries })])[0]!;
  const refused = { kind: "refused", code: "charge_disputed", message: "The charge is disputed." } as const;

  it("retries a refusal 300 s later, counting it, until the third", () => {
    for (const tries of [0, 1]) {
      nothingBut(decideRefundSetback(ledgerOf(), owed(tries), refused, april1), {
        refundTries: ["pay_a"],
        jobs: [{ op: "schedule", kind: "refund_payment", dueAt: april1 + 300, invoice: { id: "in_1" } }],
      });
    }
  });

  it("marks the third refusal failed with the gateway's reason and records payment.refund_failed", () => {
    expect(REFUND_MAX_REFUSALS).toBe(3);
    nothingBut(decideRefundSetback(ledgerOf(), owed(2), refused, april1), {
      refundTries: ["pay_a"],
      refundsFailed: [{ payment: "pay_a", code: "charge_disputed", message: "The charge is disputed." }],
      events: [{ type: "payment.refund_failed", subject: { payment: "pay_a" } }],
    });
  });

  it("gives a gateway that never answers 24 hours of tries (288 × 300 s), then marks it failed as unreachable", () => {
    expect(REFUND_MAX_FAULTS * 300).toBe(86_400);
    const fault = { kind: "fault", message: "ECONNRESET" } as const;
    expect(decideRefundSetback(ledgerOf(), owed(286), fault, april1).refundsFailed).toEqual([]);
    nothingBut(decideRefundSetback(ledgerOf(), owed(287), fault, april1), {
      refundTries: ["pay_a"],
      refundsFailed: [{ payment: "pay_a", code: "gateway_unreachable", message: "ECONNRESET" }],
      events: [{ type: "payment.refund_failed", subject: { payment: "pay_a" } }],
    });
  });

  it("never orders again a refund given up on", () => {
    const failed = payment({
      id: "pay_a",
      status: "refunded",
      refundTries: 3,
      refundFailure: { code: "x", message: "y" },
    });
    expect(refundsDue([failed])).toEqual([]);
  });
});

describe("decideManualPayment", () => {
  it("writes the manual payment row with the payment it completes", () => {
    const d = decideManualPayment(ledgerOf(), invoice(), [], { id: "pay_m", amount: 700, reference: "chk_1" }, may1);
    if (!d.ok) throw new Error("refused");
    expect(d.decision.paymentsAdded).toEqual([
      {
        id: "pay_m",
        invoiceId: "in_1",
        amount: 700,
        currency: "usd",
        status: "succeeded",
        method: "manual",
        attempt: 2,
        reference: "chk_1",
        gatewayKey: null,
        paymentMethod: null,
        gatewayCustomer: null,
        onRequest: false,
        created: may1,
      },
    ]);
    expect(d.decision.invoiceUpdates[0]).toMatchObject({ status: "paid", amountPaid: 1000, paidAt: may1 });
    expect(d.decision.events.map((e) => e.type)).toEqual(["payment.succeeded", "invoice.paid"]);
  });

  it("refuses more than remains (400) before a pending attempt (409)", () => {
    const pending = [payment()];
    const tooMuch = decideManualPayment(ledgerOf(), invoice(), pending, { id: "p", amount: 701, reference: "r" }, may1);
    expect(tooMuch).toMatchObject({ ok: false, error: { code: "amount_too_large", param: "amount" } });
    const held = decideManualPayment(ledgerOf(), invoice(), pending, { id: "p", amount: 700, reference: "r" }, may1);
    expect(held).toMatchObject({ ok: false, error: { conflict: true, code: "payment_pending" } });
  });
});

describe("charge pacing", () => {
  it("a slot within 500 ms is now; a later one is waited for, to the next second", () => {
    expect(slotToWaitFor(10_500, 10_000)).toBeNull();
    expect(slotToWaitFor(10_501, 10_000)).toBe(11);
  });

  it("moves the retry job and next_payment_attempt to the slot, unless the invoice moved meanwhile", () => {
    nothingBut(decideDeferToSlot(ledgerOf(), invoice(), 2, may1), {
      invoiceUpdates: [{ invoice: { id: "in_1" }, nextPaymentAttempt: may1 }],
      jobs: [{ op: "schedule", kind: "retry_payment", dueAt: may1, invoice: { id: "in_1" } }],
    });
    nothingBut(decideDeferToSlot(ledgerOf(), invoice(), 1, may1), {});
    nothingBut(decideDeferToSlot(ledgerOf(), invoice({ status: "paid" }), 2, may1), {});
  });
});

describe("the invoice.upcoming job, derived from the state", () => {
  const facts = { state, sentFor: null, days: 7 };
  const notice = may1 - 7 * 86_400;

  it("is due 7 days before the renewal, once", () => {
    expect(upcomingDueAt(facts)).toBe(notice);
    expect(upcomingDueAt({ ...facts, days: 0 })).toBeNull();
    // Announced (decideUpcomingNotice marks the period): its due time moves past.
    expect(upcomingDueAt({ ...facts, sentFor: may1 })).toBeNull();
    expect(upcomingDueAt({ ...facts, sentFor: april1 })).toBe(notice);
  });

  it("is none for one canceling at period end, or an ended subscription", () => {
    expect(upcomingDueAt({ ...facts, state: { ...state, cancelAtPeriodEnd: true } })).toBeNull();
    expect(upcomingDueAt({ ...facts, state: { ...state, status: "canceled" } })).toBeNull();
  });

  it("is passed over when a transaction makes it due at a time already past (resumed inside the notice window)", () => {
    // Resumed at the notice's second or after: the period is marked, never announced late.
    expect(upcomingPassedOver(null, facts, notice)).toBe(may1);
    expect(upcomingPassedOver(notice - 86_400, facts, notice + 1)).toBe(may1);
    // Resumed before it: it stays due.
    expect(upcomingPassedOver(null, facts, notice - 1)).toBeNull();
    // Already due when the transaction began (its alarm not run yet): it keeps its time.
    expect(upcomingPassedOver(notice, facts, notice + 60)).toBeNull();
    // No notice, or one already announced: nothing to mark.
    expect(upcomingPassedOver(null, { ...facts, sentFor: may1 }, notice + 1)).toBeNull();
    expect(upcomingPassedOver(null, { ...facts, state: { ...state, cancelAtPeriodEnd: true } }, notice + 1)).toBeNull();
  });
});

describe("the renewal's first attempt, in the renewal's own decision (withFirstAttempt)", () => {
  const renewal = decideRenewal({ state, pending: [], openInvoices: [] }, may1);
  const first = {
    invoiceIds: ["in_new"],
    paymentMethod: "pm_card_visa",
    gatewayCustomer: "cus_1",
    paymentId: "pay_new",
    at: may1,
  };

  it("is the very attempt decideAttempt makes on the invoice as issued: number 1, the amount due, the same key", () => {
    const issued = renewal.issue[0]!;
    expect(renewal.jobs).toContainEqual({ op: "schedule", kind: "retry_payment", dueAt: may1, invoice: { issued: 0 } });
    const { decision, charge } = withFirstAttempt(renewal, first);
    const asJob = decideAttempt(ledgerOf([]), {
      invoiceId: "in_new",
      invoice: {
        ...invoice(),
        id: "in_new",
        created: may1,
        amountDue: issued.totals.amountDue,
        amountPaid: 0,
        attemptCount: 0,
      },
      payments: [],
      expectedAttempts: 0,
      onRequest: false,
      paymentMethod: "pm_card_visa",
      gatewayCustomer: "cus_1",
      paymentId: "pay_new",
      at: may1,
    });
    expect(charge).toEqual(asJob.charge);
    expect(charge).toMatchObject({ amount: 1000, idempotencyKey: attemptKey("in_new", 1) });
    expect(decision.paymentsAdded).toEqual(asJob.decision.paymentsAdded);
    // No retry job inserted then deleted: the attempt is counted as the invoice is written, and
    // its reconcile (the payment's column) is the only job it leaves.
    expect(decision.issue[0]).toEqual({ ...issued, attemptCount: 1 });
    expect(decision.jobs.filter((j) => j.kind === "retry_payment")).toEqual([]);
    expect(decision.jobs.filter((j) => j.kind === "reconcile_payment")).toEqual([
      { op: "schedule", kind: "reconcile_payment", dueAt: may1 + 300, invoice: { id: "in_new" } },
    ]);
    // Everything else is the renewal's, unchanged.
    expect({ ...decision, issue: [], jobs: [], paymentsAdded: [] }).toEqual({
      ...renewal,
      issue: [],
      jobs: [],
      paymentsAdded: [],
    });
    expect(decision.jobs.filter((j) => j.kind !== "reconcile_payment")).toEqual(
      renewal.jobs.filter((j) => j.kind !== "retry_payment"),
    );
  });

  it("leaves a decision with no attempt due now as it is (nothing issued, or the attempt later)", () => {
    const nothing = decideRenewal({ state, pending: [], openInvoices: [] }, april1 + 1);
    expect(withFirstAttempt(nothing, first)).toEqual({ decision: nothing, charge: null });
    expect(withFirstAttempt(renewal, { ...first, at: may1 - 1 })).toEqual({ decision: renewal, charge: null });
  });
});

describe("a written first attempt paced to a later slot (decideChargeWaitsForSlot)", () => {
  it("moves the pending payment's reconcile to the slot, and does nothing once it is settled", () => {
    const waits = decideChargeWaitsForSlot(ledgerOf(), payment(), april1 + 7);
    expect(waits.jobs).toEqual([
      { op: "schedule", kind: "reconcile_payment", dueAt: april1 + 7, invoice: { id: "in_1" } },
    ]);
    expect(waits.paymentsAdded).toEqual([]);
    expect(decideChargeWaitsForSlot(ledgerOf(), payment({ status: "succeeded" }), april1 + 7).jobs).toEqual([]);
    expect(decideChargeWaitsForSlot(ledgerOf(), undefined, april1 + 7).jobs).toEqual([]);
  });
});
