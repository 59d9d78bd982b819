import { describe, expect, it } from "vitest";
import type { Cadence } from "../../src/domain/billing-period";
import {
  decideAttemptFailed,
  decideCloseInvoice,
  decideIncompleteExpiry,
  decidePaymentReceived,
} from "../../src/domain/collection";
import type { Decided, Decision, InvoiceFacts, Ledger } from "../../src/domain/decision";
import {
  decideCancel,
  decideChange,
  decideInvoiceNow,
  decideRenewal,
  decideStart,
  decideTrialReminder,
  rolledForward,
  upcomingRenewal,
} from "../../src/domain/lifecycle";
import type { DraftLine } from "../../src/domain/proration";
import { DEFAULT_DUNNING } from "../../src/domain/retry-schedule";
import type { PlanTerms, SubscriptionState } from "../../src/domain/subscription";
import { parseIso } from "../../src/domain/time";

// Each operation as one Decision, checked without a Worker: the state, the invoices, the
// events in causal order (docs/billing-rules.md, Events) and the jobs.

const at = (iso: string): number => parseIso(iso)!;
const HOUR = 3_600;
const monthly: Cadence = { interval: "month", intervalCount: 1 };
const plan = (name: string, amount: number, trialDays = 0): PlanTerms => ({
  id: `plan_${name.toLowerCase()}`,
  name,
  currency: "usd",
  amount,
  cadence: monthly,
  trialDays,
});
const basic = plan("Basic", 1000);
const pro = plan("Pro", 2000);

function accepted(decided: Decided): Decision {
  if (decided.ok) return decided.decision;
  throw new Error(`refused: ${decided.error.code}`);
}
const types = (d: Decision) => d.events.map((e) => e.type);
const start = (now: number, anchor: number | null = null, p = basic, trialDays = 0) =>
  accepted(decideStart({ plan: p, quantity: 1, now, trialDays, billingCycleAnchor: anchor }));
const ledger = (state: SubscriptionState, pending: DraftLine[] = [], openInvoices: InvoiceFacts[] = []): Ledger => ({
  state,
  pending,
  openInvoices,
});
const facts = (fields: Partial<InvoiceFacts> = {}): InvoiceFacts => ({
  id: "in_1",
  status: "open",
  billingReason: "subscription_create",
  currency: "usd",
  created: april1,
  amountDue: 1000,
  amountPaid: 0,
  creditApplied: 0,
  attemptCount: 1,
  ...fields,
});
const item = (amount: number): DraftLine => ({
  type: "invoice_item",
  description: `item ${amount}`,
  amount,
  quantity: 1,
  plan: null,
  periodStart: april1,
  periodEnd: april1,
});

const april1 = at("2026-04-01T00:00:00Z");
const may1 = at("2026-05-01T00:00:00Z");
const midApril = at("2026-04-16T00:00:00Z");

describe("starting (the decision)", () => {
  it("emits subscription.created before its first invoice's events, and schedules the renewal and the first attempt", () => {
    const d = start(april1);
    expect(types(d)).toEqual(["subscription.created", "invoice.created", "invoice.finalized"]);
    expect(d.events.map((e) => e.subject)).toEqual([
      { subscription: true },
      { invoice: { issued: 0 } },
      { invoice: { issued: 0 } },
    ]);
    expect(d.issue.map((i) => [i.reason, i.totals.amountDue, i.totals.status])).toEqual([
      ["subscription_create", 1000, "open"],
    ]);
    expect(d.jobs).toEqual([
      { op: "schedule", kind: "renew", dueAt: may1, invoice: null },
      { op: "schedule", kind: "retry_payment", dueAt: april1, invoice: { issued: 0 } },
    ]);
  });

  it("schedules trial_will_end 3 days before a trial ends, and issues nothing", () => {
    const d = start(april1, null, plan("Trial", 1000, 14), 14);
    expect(d.issue).toEqual([]);
    expect(types(d)).toEqual(["subscription.created"]);
    expect(d.jobs).toEqual([
      { op: "schedule", kind: "renew", dueAt: at("2026-04-15T00:00:00Z"), invoice: null },
      { op: "schedule", kind: "trial_will_end", dueAt: at("2026-04-12T00:00:00Z"), invoice: null },
    ]);
    const reminder = decideTrialReminder(ledger(d.state));
    expect(types(reminder)).toEqual(["subscription.trial_will_end"]);
    expect(reminder.jobs).toEqual([{ op: "cancel", kind: "trial_will_end", invoice: null }]);
  });
});

describe("renewing (the decision)", () => {
  it("sweeps pending lines into the period invoice, credit applied, and moves the renewal job", () => {
    const state = { ...start(april1).state, creditBalance: 300 };
    const d = decideRenewal(ledger(state, [item(250)]), may1);
    expect(d.issue[0]!.lines.map((l) => l.amount)).toEqual([1000, 250]);
    expect(d.issue[0]!.totals).toMatchObject({ total: 1250, creditApplied: 300, amountDue: 950 });
    expect(d).toMatchObject({ pendingConsumed: true, pendingAdded: [] });
    expect(d.state.creditBalance).toBe(0);
    expect(types(d)).toEqual(["subscription.updated", "invoice.created", "invoice.finalized"]);
  });

  it("only clears its job when the period already moved (an alarm delivered twice)", () => {
    const d = decideRenewal(ledger(start(april1).state), april1 + 1);
    expect(d).toMatchObject({ issue: [], events: [], jobs: [{ op: "cancel", kind: "renew", invoice: null }] });
  });

  it("holds the renewal while incomplete (rule 9): no invoice, no event", () => {
    const state: SubscriptionState = { ...start(april1).state, status: "incomplete" };
    expect(decideRenewal(ledger(state), may1)).toMatchObject({
      issue: [],
      events: [],
      jobs: [{ op: "cancel", kind: "renew", invoice: null }],
    });
  });

  it("ends at a cancel_at_period_end with a final invoice for positive pending lines, attempted once (rule 12)", () => {
    const state: SubscriptionState = { ...start(april1).state, cancelAtPeriodEnd: true, canceledAt: midApril };
    const d = decideRenewal(
      ledger(state, [item(400)], [facts({ id: "in_old", billingReason: "subscription_cycle" })]),
      may1,
    );
    expect(d.state).toMatchObject({ status: "canceled", endedAt: may1 });
    expect(types(d)).toEqual(["subscription.canceled", "invoice.created", "invoice.finalized"]);
    expect(d.issue.map((i) => [i.reason, i.totals.amountDue, i.period])).toEqual([
      ["subscription_final", 400, { start: may1, end: may1 }],
    ]);
    expect(d.jobs).toContainEqual({ op: "cancel", kind: "retry_payment", invoice: { id: "in_old" } });
    expect(d.jobs.at(-1)).toEqual({ op: "schedule", kind: "retry_payment", dueAt: may1, invoice: { issued: 0 } });
  });

  it("previews the next renewal's invoice from that very decision, and rolls periods forward without writing", () => {
    const state = start(april1).state;
    expect(upcomingRenewal(ledger(state, [item(250)]))!.issue[0]!.totals.total).toBe(1250);
    expect(upcomingRenewal(ledger({ ...state, status: "canceled" }))).toBeNull();
    expect(rolledForward(ledger(state, [item(250)]), may1 + HOUR)).toMatchObject({
      state: { currentPeriodStart: may1 },
      pending: [],
    });
  });
});

describe("changing and cancelling (the decision)", () => {
  it("an always_invoice upgrade sweeps pending lines with its prorations into one invoice", () => {
    const d = accepted(
      decideChange(ledger(start(april1).state, [item(100)]), {
        plan: pro,
        quantity: null,
        prorationBehavior: "always_invoice",
        now: midApril,
      }),
    );
    expect(d.issue[0]!.lines.map((l) => l.amount)).toEqual([-500, 1000, 100]);
    expect(types(d)).toEqual(["subscription.updated", "invoice.created", "invoice.finalized"]);
  });

  it("an immediate cancel drops a negative sum and says so in subscription.canceled (rule 12)", () => {
    const d = accepted(decideCancel(ledger(start(april1).state, [item(-300)]), false, midApril));
    expect(d.issue).toEqual([]);
    expect(d.pendingConsumed).toBe(true);
    expect(d.events).toEqual([
      {
        type: "subscription.canceled",
        subject: { subscription: true },
        extra: { pending_lines_dropped: [expect.objectContaining({ amount: -300, type: "invoice_item" })] },
      },
    ]);
  });

  it("invoicing now is refused with nothing pending", () => {
    expect(decideInvoiceNow(ledger(start(april1).state), midApril)).toMatchObject({
      ok: false,
      error: { code: "nothing_to_invoice" },
    });
  });
});

describe("collecting (the decision)", () => {
  it("a payment completing an incomplete subscription's first invoice makes its held renewal at once, in order (rule 9)", () => {
    // 12 h first period: Mar 31 12:00 → anchor Apr 1 00:00, charged round(1000 × 12 h / 31 d) = 16.
    const first = start(at("2026-03-31T12:00:00Z"), april1);
    const state: SubscriptionState = { ...first.state, status: "incomplete" };
    const invoice = facts({ amountDue: 16, created: at("2026-03-31T12:00:00Z") });
    const paidAt = april1 + 2 * HOUR;
    const d = decidePaymentReceived(ledger(state, [], [invoice]), invoice, "pay_1", 16, paidAt);
    expect(types(d)).toEqual([
      "payment.succeeded",
      "invoice.paid",
      "subscription.updated",
      "subscription.updated",
      "invoice.created",
      "invoice.finalized",
    ]);
    expect(d.issue.map((i) => [i.reason, i.period, i.totals.amountDue])).toEqual([
      ["subscription_cycle", { start: april1, end: may1 }, 1000],
    ]);
    expect(d.state).toMatchObject({ status: "active", currentPeriodStart: april1, currentPeriodEnd: may1 });
    expect(d.jobs).toContainEqual({ op: "schedule", kind: "retry_payment", dueAt: paidAt, invoice: { issued: 0 } });
  });

  it("a partial payment only adds up", () => {
    const invoice = facts({ billingReason: "subscription_cycle" });
    const d = decidePaymentReceived(
      ledger({ ...start(april1).state, status: "past_due" }, [], [invoice]),
      invoice,
      "pay_1",
      400,
      midApril,
    );
    expect(d.invoiceUpdates).toEqual([{ invoice: { id: "in_1" }, amountPaid: 400 }]);
    expect(types(d)).toEqual(["payment.succeeded"]);
    expect(d.state.status).toBe("past_due");
  });

  it("a failed first invoice makes it incomplete with its 23-hour expiry, and no retry", () => {
    const invoice = facts();
    const d = decideAttemptFailed(
      DEFAULT_DUNNING,
      ledger(start(april1).state, [], [invoice]),
      invoice,
      "pay_1",
      1,
      april1,
    );
    expect(types(d)).toEqual(["payment.failed", "invoice.payment_failed", "subscription.updated"]);
    expect(d.state.status).toBe("incomplete");
    expect(d.jobs).toEqual([
      { op: "schedule", kind: "expire_incomplete", dueAt: april1 + 23 * HOUR, invoice: { id: "in_1" } },
    ]);
  });

  it("voiding gives credit_applied back (rule 8) and a last open invoice closed makes it active again", () => {
    const invoice = facts({ billingReason: "manual", creditApplied: 400, amountDue: 600 });
    const state: SubscriptionState = { ...start(april1).state, status: "past_due", creditBalance: 0 };
    const d = accepted(decideCloseInvoice(ledger(state, [], [invoice]), invoice, "void", midApril));
    expect(d.state).toMatchObject({ creditBalance: 400, status: "active" });
    expect(types(d)).toEqual(["invoice.voided", "subscription.updated"]);
    const uncollectible = accepted(
      decideCloseInvoice(ledger(state, [], [invoice]), invoice, "uncollectible", midApril),
    );
    expect(uncollectible.state.creditBalance).toBe(0);
  });

  it("at 23 hours voids the first invoice and ends the subscription; later, it only clears its job", () => {
    const invoice = facts();
    const state: SubscriptionState = { ...start(april1).state, status: "incomplete" };
    const d = decideIncompleteExpiry(ledger(state, [], [invoice]), invoice, april1 + 23 * HOUR);
    expect(d.state).toMatchObject({ status: "incomplete_expired", endedAt: april1 + 23 * HOUR });
    expect(types(d)).toEqual(["invoice.voided", "subscription.updated"]);
    expect(
      decideIncompleteExpiry(
        ledger({ ...state, status: "active" }),
        { ...invoice, status: "paid" },
        april1 + 23 * HOUR,
      ),
    ).toMatchObject({
      events: [],
      jobs: [{ op: "cancel", kind: "expire_incomplete", invoice: { id: "in_1" } }],
    });
  });
});
