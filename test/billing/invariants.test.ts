import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ListPage } from "../../src/contract/common";
import type { Customer } from "../../src/contract/customer";
import type { Invoice, InvoiceLine, Payment } from "../../src/contract/invoice";
import type { Plan } from "../../src/contract/plan";
import type { ChangePreview, Subscription } from "../../src/contract/subscription";
import type { TestClock } from "../../src/contract/test-clock";
import type { ApiResponse } from "../helpers";
import { api, ok, paymentsOf, uniquePlanId } from "../helpers";
import {
  expectEachCyclePeriodOnce,
  expectInvoiceAmounts,
  expectPaymentsOfInvoice,
  expectStatusAgainstOpenInvoices,
} from "../invariants";

// Model-based property test: random sequences of operations drive the real Worker over HTTP
// on a test clock. A small reference model, written from docs/billing-rules.md alone (its own calendar and
// bigint rounding, nothing imported from src/domain), predicts every invoice and the
// subscription field by field after each step. At the end the invariants (numbered as in the
// checks below) are computed from what the API returned; only the proration check (6) uses
// the lines the model derived from rule 4's formula.

// ───────────────────────────── operations ─────────────────────────────

type Behavior = "create_prorations" | "always_invoice" | "none";
type Pm = "visa" | "declined";

type Op =
  | { kind: "advance"; seconds: number }
  /** Advance to the current period's end (offset 0: the renewal instant) or 1 s before it. */
  | { kind: "advanceToPeriodEnd"; offset: 0 | -1 }
  | { kind: "change"; plan: number | null; quantity: number | null; behavior: Behavior }
  | { kind: "item"; amount: number }
  | { kind: "invoice" }
  | { kind: "cancel"; atPeriodEnd: boolean }
  | { kind: "resume" }
  | { kind: "pm"; pm: Pm };

interface Scenario {
  start: string;
  /** Unit amounts of the three monthly plans (distinct), then the yearly plan. */
  monthly: number[];
  yearly: number;
  initialPlan: number;
  initialQuantity: number;
  /** The customer's card at the start: a declined one makes the first invoice fail (incomplete). */
  initialPm: Pm;
  /**
   * billing_cycle_anchor: none, seconds after the start (a short first period, rule 6), or
   * exactly one interval after the start (a full first period, rule 6's last sentence).
   */
  anchor?: number | "interval" | null;
  ops: Op[];
}

const HOUR = 3_600;
const DAY = 86_400;
const RETRY_DAYS = [1, 3, 5, 7]; // the default BILLIFY_RETRY_DAYS; final action: cancel
const INCOMPLETE_EXPIRY = 23 * HOUR;
const PM_TOKEN: Record<Pm, string> = { visa: "pm_card_visa", declined: "pm_card_chargeDeclined" };

const advanceOp = fc.record({
  kind: fc.constant("advance" as const),
  // Often short (inside a retry ladder or the 23-hour window), else up to 70 days.
  seconds: fc.oneof(
    { weight: 1, arbitrary: fc.integer({ min: HOUR, max: 3 * DAY }) },
    { weight: 2, arbitrary: fc.integer({ min: HOUR, max: 70 * DAY }) },
  ),
});
const advanceToEndOp = fc.record({
  kind: fc.constant("advanceToPeriodEnd" as const),
  offset: fc.constantFrom<0 | -1>(0, -1),
});
const changeOp = fc
  .record({
    kind: fc.constant("change" as const),
    // 0..2: the monthly plans; 3: the yearly plan (an interval change, rule 5), less often.
    plan: fc.option(
      fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(3) }),
      { nil: null },
    ),
    quantity: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
    behavior: fc.constantFrom<Behavior>("create_prorations", "always_invoice", "none"),
  })
  .filter((c) => c.plan !== null || c.quantity !== null);
const itemOp = fc.record({
  kind: fc.constant("item" as const),
  amount: fc.integer({ min: -500, max: 5000 }).filter((n) => n !== 0),
});
const invoiceOp = fc.constant({ kind: "invoice" as const });
const cancelOp = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "cancel" as const, atPeriodEnd: true }) },
  { weight: 1, arbitrary: fc.constant({ kind: "cancel" as const, atPeriodEnd: false }) },
);
const resumeOp = fc.constant({ kind: "resume" as const });
const pmOp = fc.record({ kind: fc.constant("pm" as const), pm: fc.constantFrom<Pm>("declined", "visa") });

function opsArbitrary(withDeclines: boolean): fc.Arbitrary<Op[]> {
  const weighted: fc.WeightedArbitrary<Op>[] = [
    { weight: 5, arbitrary: advanceOp },
    { weight: 1, arbitrary: advanceToEndOp },
    { weight: 4, arbitrary: changeOp },
    { weight: 2, arbitrary: itemOp },
    { weight: 2, arbitrary: invoiceOp },
    { weight: 1, arbitrary: cancelOp },
    { weight: 1, arbitrary: resumeOp },
  ];
  if (withDeclines) weighted.push({ weight: 2, arbitrary: pmOp });
  return fc.array(fc.oneof(...weighted), { minLength: 1, maxLength: 12 });
}

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc
  // About one run in three may use a declining card (at the start, or by a switch); the rest
  // stay on visa throughout.
  .oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
  .chain((withDeclines) =>
    fc.record({
      // Month ends (clamping), a leap February, odd seconds (rounding), a plain mid-month.
      start: fc.constantFrom(
        "2026-01-31T10:17:23Z",
        "2027-12-29T23:59:59Z",
        "2026-03-30T06:00:07Z",
        "2026-05-15T00:00:00Z",
      ),
      monthly: fc.uniqueArray(fc.integer({ min: 1, max: 99_999 }), { minLength: 3, maxLength: 3 }),
      yearly: fc.integer({ min: 1, max: 999_999 }),
      initialPlan: fc.integer({ min: 0, max: 2 }),
      initialQuantity: fc.integer({ min: 1, max: 5 }),
      initialPm: withDeclines ? fc.constantFrom<Pm>("visa", "declined") : fc.constant<Pm>("visa"),
      // Often a short first period of a few hours (inside the 23 h of an incomplete one, rule 9).
      anchor: fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.integer({ min: HOUR, max: 20 * HOUR }) },
        { weight: 1, arbitrary: fc.integer({ min: HOUR, max: 27 * DAY }) },
        { weight: 1, arbitrary: fc.constant("interval" as const) },
      ),
      ops: opsArbitrary(withDeclines),
    }),
  );

// ───────────────────────────── reference model ─────────────────────────────

interface PlanDef {
  id: string;
  name: string;
  amount: number;
  interval: "month" | "year";
}

/** An expected invoice line, in the API's field names (times as instants). */
interface ExpLine {
  type: InvoiceLine["type"];
  amount: number;
  quantity: number;
  plan: string | null;
  periodStart: number;
  periodEnd: number;
  /** Checked when set: proration lines (worded by rule 4) and invoice items (our own text). */
  description: string | null;
}

interface ModelInvoice {
  reason: Invoice["billing_reason"];
  periodStart: number;
  periodEnd: number;
  lines: ExpLine[];
  total: number;
  creditApplied: number;
  amountDue: number;
  amountPaid: number;
  status: "open" | "paid" | "void";
  attempts: number;
  /** Attempts the retry schedule made (attempts on request never move it: rule 9). */
  scheduled: number;
  nextAttempt: number | null;
  /** docs/billing-rules.md does not say when an invoice that failed while `incomplete` is retried: not compared. */
  nextAttemptUnknown: boolean;
  created: number;
  paidAt: number | null;
}

type ModelStatus = "active" | "past_due" | "incomplete" | "incomplete_expired" | "canceled";

interface Model {
  now: number;
  plan: PlanDef;
  quantity: number;
  anchor: number;
  /** Index of the current period counted from the anchor (rule 1). */
  k: number;
  periodStart: number;
  periodEnd: number;
  status: ModelStatus;
  cancelAtPeriodEnd: boolean;
  endedAt: number | null;
  /** While incomplete: when the first invoice expires (rule 9). */
  expireAt: number | null;
  credit: number;
  pending: ExpLine[];
  invoices: ModelInvoice[];
  pm: Pm;
}

const toSec = (iso: string) => Date.parse(iso) / 1000;
const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const isoDate = (t: number) => iso(t).slice(0, 10);

/** anchor + n months, the anchor's day clamped to the month's length, its time of day kept. */
function addMonths(anchor: number, months: number): number {
  const a = new Date(anchor * 1000);
  const total = a.getUTCFullYear() * 12 + a.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return (
    Date.UTC(year, month, Math.min(a.getUTCDate(), lastDay), a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds()) /
    1000
  );
}

function periodStartOf(anchor: number, plan: PlanDef, k: number): number {
  return addMonths(anchor, k * (plan.interval === "year" ? 12 : 1));
}

/** round(num / den), halves away from zero, exact (den > 0). */
function roundDiv(num: bigint, den: bigint): number {
  const negative = num < 0n;
  const abs = negative ? -num : num;
  const q = abs / den;
  const rounded = 2n * (abs - q * den) >= den ? q + 1n : q;
  // `0 - x`, never `-x`: no −0 may reach a strict comparison.
  return negative ? 0 - Number(rounded) : Number(rounded);
}

/** round(unit × qty × (e − t) / (e − s)) in bigint. */
function prorate(unit: number, quantity: number, s: number, e: number, t: number): number {
  return roundDiv(BigInt(unit) * BigInt(quantity) * BigInt(e - t), BigInt(e - s));
}

function subscriptionLine(plan: PlanDef, quantity: number, start: number, end: number): ExpLine {
  return {
    type: "subscription",
    amount: plan.amount * quantity,
    quantity,
    plan: plan.id,
    periodStart: start,
    periodEnd: end,
    description: null,
  };
}

const openInvoices = (m: Model) => m.invoices.filter((i) => i.status === "open");
const isEnded = (status: ModelStatus) => status === "canceled" || status === "incomplete_expired";

/** An ended subscription: no renewal, no retries; its open invoices stay open (rule 10). */
function endModel(m: Model, at: number, status: "canceled" | "incomplete_expired" = "canceled") {
  m.status = status;
  m.endedAt = at;
  m.expireAt = null;
  for (const invoice of openInvoices(m)) {
    invoice.nextAttempt = null;
    invoice.nextAttemptUnknown = false;
  }
}

/** One payment attempt with the customer's current card (rule 9). */
function attempt(m: Model, invoice: ModelInvoice, at: number, onRequest = false) {
  invoice.attempts += 1;
  if (!onRequest) {
    invoice.scheduled += 1;
    invoice.nextAttempt = null;
  }
  if (m.pm === "visa") {
    invoice.amountPaid = invoice.amountDue;
    invoice.nextAttempt = null;
    invoice.status = "paid";
    invoice.paidAt = at;
    if ((m.status === "past_due" || m.status === "incomplete") && openInvoices(m).length === 0) {
      const wasIncomplete = m.status === "incomplete";
      m.status = "active";
      m.expireAt = null;
      // Rule 9: the renewals held while incomplete are invoiced now, in order.
      while (wasIncomplete && !isEnded(m.status) && m.periodEnd <= at) renew(m, at);
    }
    return;
  }
  if (isEnded(m.status)) return;
  if (invoice.reason === "subscription_create") {
    // Rule 9, first invoice: incomplete, no schedule, void and incomplete_expired at +23 h.
    m.status = "incomplete";
    m.expireAt = invoice.created + INCOMPLETE_EXPIRY;
    return;
  }
  if (m.status === "incomplete") {
    // Rule 9: an incomplete subscription leaves that state only by paying its first invoice
    // (active) or at its expiry (incomplete_expired); another invoice failing changes nothing.
    invoice.nextAttemptUnknown = true;
    return;
  }
  // Rule 9: an attempt on request counts, but never advances the schedule.
  if (onRequest) return;
  const days = RETRY_DAYS[invoice.scheduled - 1];
  if (days !== undefined) {
    invoice.nextAttempt = at + days * DAY;
    m.status = "past_due";
  } else {
    endModel(m, at); // BILLIFY_FINAL_ACTION=cancel (the default)
  }
}

/** Rules 2 and 8: draft lines plus every pending line, credit applied, finalized, attempted. */
function finalize(
  m: Model,
  reason: Invoice["billing_reason"],
  start: number,
  end: number,
  draft: ExpLine[],
  at: number,
) {
  const lines = [...draft, ...m.pending];
  m.pending = [];
  const total = lines.reduce((sum, l) => sum + l.amount, 0);
  let creditApplied = 0;
  let amountDue = 0;
  if (total < 0) {
    m.credit += -total;
  } else {
    creditApplied = Math.min(m.credit, total);
    amountDue = total - creditApplied;
    m.credit -= creditApplied;
  }
  const status = amountDue === 0 ? "paid" : "open";
  const invoice: ModelInvoice = {
    reason,
    periodStart: start,
    periodEnd: end,
    lines,
    total,
    creditApplied,
    amountDue,
    amountPaid: 0,
    status,
    attempts: 0,
    scheduled: 0,
    nextAttempt: null,
    nextAttemptUnknown: false,
    created: at,
    paidAt: status === "paid" ? at : null,
  };
  m.invoices.push(invoice);
  // A final invoice is attempted once although its subscription has ended (rule 12).
  if (status === "open" && (!isEnded(m.status) || reason === "subscription_final")) attempt(m, invoice, at);
}

/** Rule 12: what is pending at the end goes on a final invoice when its sum is positive, else is dropped. */
function endWithPending(m: Model, at: number) {
  endModel(m, at);
  if (m.pending.length > 0 && m.pending.reduce((sum, l) => sum + l.amount, 0) > 0)
    finalize(m, "subscription_final", at, at, [], at);
  m.pending = [];
}

/** Rule 3 at current_period_end; a renewal held while incomplete is made later, at `createdAt` (rule 9). */
function renew(m: Model, createdAt = m.periodEnd) {
  const at = m.periodEnd;
  if (m.cancelAtPeriodEnd) {
    endWithPending(m, at);
    return;
  }
  m.k += 1;
  m.periodStart = periodStartOf(m.anchor, m.plan, m.k);
  m.periodEnd = periodStartOf(m.anchor, m.plan, m.k + 1);
  expect(m.periodStart).toBe(at);
  finalize(
    m,
    "subscription_cycle",
    m.periodStart,
    m.periodEnd,
    [subscriptionLine(m.plan, m.quantity, m.periodStart, m.periodEnd)],
    createdAt,
  );
}

/**
 * Every job due up to `target`, in time order; at a tie, invoice jobs (the oldest invoice
 * first: the first invoice's expiry before any retry) before the renewal.
 */
function advanceModel(m: Model, target: number) {
  for (;;) {
    // Rule 9: while incomplete the renewal is held (unless it ends the subscription, rule 3).
    const held = m.status === "incomplete" && !m.cancelAtPeriodEnd;
    const renewal = isEnded(m.status) || held ? Number.POSITIVE_INFINITY : m.periodEnd;
    if (m.status === "incomplete" && m.expireAt !== null && m.expireAt <= target && m.expireAt <= renewal) {
      const first = m.invoices[0]!;
      expect(first.status).toBe("open");
      first.status = "void";
      first.nextAttempt = null;
      endModel(m, m.expireAt, "incomplete_expired");
      continue;
    }
    let retry: ModelInvoice | null = null;
    for (const invoice of openInvoices(m)) {
      if (invoice.nextAttempt !== null && (retry === null || invoice.nextAttempt < retry.nextAttempt!)) retry = invoice;
    }
    if (retry && retry.nextAttempt! <= target && retry.nextAttempt! <= renewal) {
      attempt(m, retry, retry.nextAttempt!);
    } else if (renewal <= target) {
      renew(m);
    } else {
      break;
    }
  }
  m.now = target;
}

/** Rules 4 and 5. Returns the proration lines this change made, for the formula check. */
function changeModel(m: Model, plan: PlanDef, quantity: number, behavior: Behavior): ExpLine[] {
  const t = m.now;
  const e = m.periodEnd;
  // Rule 4: a short first period (rule 6) is measured against the whole interval it was charged on.
  const shortFirst = m.k === -1 && e === m.anchor && addMonths(m.periodStart, 1) !== m.anchor;
  const s = shortFirst ? addMonths(m.anchor, -1) : m.periodStart;
  const old = m.plan;
  // The same plan and quantity change nothing: no lines (Stripe's behaviour).
  if (plan.id === old.id && quantity === m.quantity) return [];
  const credit: ExpLine = {
    type: "proration",
    amount: 0 - prorate(old.amount, m.quantity, s, e, t),
    quantity: m.quantity,
    plan: old.id,
    periodStart: t,
    periodEnd: e,
    description: `Unused time on ${old.name} after ${isoDate(t)}`,
  };
  m.plan = plan;
  m.quantity = quantity;
  if (plan.interval !== old.interval) {
    m.anchor = t;
    m.k = 0;
    m.periodStart = t;
    m.periodEnd = periodStartOf(t, plan, 1);
    const lines = behavior === "none" ? [] : [credit];
    finalize(m, "subscription_update", t, m.periodEnd, [...lines, subscriptionLine(plan, quantity, t, m.periodEnd)], t);
    return lines;
  }
  if (behavior === "none") return [];
  const charge: ExpLine = {
    type: "proration",
    amount: prorate(plan.amount, quantity, s, e, t),
    quantity,
    plan: plan.id,
    periodStart: t,
    periodEnd: e,
    description: `Remaining time on ${plan.name} after ${isoDate(t)}`,
  };
  if (behavior === "create_prorations") m.pending.push(credit, charge);
  else finalize(m, "subscription_update", t, e, [credit, charge], t);
  return [credit, charge];
}

// ───────────────────────────── API access ─────────────────────────────

interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string };
}

function expectError(res: ApiResponse<unknown>, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect((res.body as ErrorBody).error.code).toBe(code);
}

function expectOk<T>(res: ApiResponse<unknown>, status: number): T {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body as T;
}

async function allInvoices(subscriptionId: string): Promise<Invoice[]> {
  const newestFirst: Invoice[] = [];
  let cursor: string | null = null;
  do {
    const page: ListPage<Invoice> = await ok<ListPage<Invoice>>(
      "GET",
      `/v1/subscriptions/${subscriptionId}/invoices?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    newestFirst.push(...page.data);
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor);
  return newestFirst.reverse();
}

// ───────────────────────────── per-step comparison ─────────────────────────────

/** The paths where two JSON values differ (at most `limit`), as `path: actual ≠ expected`. */
function differences(actual: unknown, expected: unknown, path = "", out: string[] = [], limit = 8): string[] {
  if (out.length >= limit) return out;
  if (typeof actual === "object" && actual !== null && typeof expected === "object" && expected !== null) {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    for (const key of keys) {
      differences(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`,
        out,
        limit,
      );
    }
  } else if (!Object.is(actual, expected)) {
    out.push(`${path || "value"}: actual ${JSON.stringify(actual)} ≠ expected ${JSON.stringify(expected)}`);
  }
  return out;
}

/** toEqual, with a failure message that names the differing fields (it survives re-wrapping). */
function expectSame(actual: unknown, expected: unknown, label: string) {
  const diff = differences(actual, expected);
  if (diff.length > 0) throw new Error(`${label}:\n  ${diff.join("\n  ")}`);
  expect(actual, label).toEqual(expected);
}

function expectedLineView(l: ExpLine) {
  return {
    type: l.type,
    amount: l.amount,
    quantity: l.quantity,
    plan: l.plan,
    period_start: iso(l.periodStart),
    period_end: iso(l.periodEnd),
    ...(l.description !== null ? { description: l.description } : {}),
  };
}

function actualLineView(l: InvoiceLine, withDescription: boolean) {
  return {
    type: l.type,
    amount: l.amount,
    quantity: l.quantity,
    plan: l.plan,
    period_start: l.period_start,
    period_end: l.period_end,
    ...(withDescription ? { description: l.description } : {}),
  };
}

function compareWithModel(m: Model, invoices: Invoice[], sub: Subscription) {
  const view = (i: ModelInvoice) => ({
    billing_reason: i.reason,
    period_start: iso(i.periodStart),
    period_end: iso(i.periodEnd),
    lines: i.lines.map(expectedLineView),
    subtotal: i.total,
    total: i.total,
    credit_applied: i.creditApplied,
    amount_due: i.amountDue,
    amount_paid: i.amountPaid,
    amount_remaining: i.status === "open" ? i.amountDue - i.amountPaid : 0,
    status: i.status,
    attempt_count: i.attempts,
    next_payment_attempt: i.nextAttemptUnknown ? "(not compared)" : i.nextAttempt === null ? null : iso(i.nextAttempt),
    created: iso(i.created),
    paid_at: i.paidAt === null ? null : iso(i.paidAt),
  });
  const actual = invoices.map((inv, n) => ({
    billing_reason: inv.billing_reason,
    period_start: inv.period_start,
    period_end: inv.period_end,
    lines: inv.lines.map((l, j) => actualLineView(l, m.invoices[n]?.lines[j]?.description != null)),
    subtotal: inv.subtotal,
    total: inv.total,
    credit_applied: inv.credit_applied,
    amount_due: inv.amount_due,
    amount_paid: inv.amount_paid,
    amount_remaining: inv.amount_remaining,
    status: inv.status,
    attempt_count: inv.attempt_count,
    next_payment_attempt: m.invoices[n]?.nextAttemptUnknown ? "(not compared)" : inv.next_payment_attempt,
    created: inv.created,
    paid_at: inv.paid_at,
  }));
  expectSame(actual, m.invoices.map(view), "invoices vs the model");
  expectSame(
    {
      plan: sub.plan,
      quantity: sub.quantity,
      status: sub.status,
      current_period_start: sub.current_period_start,
      current_period_end: sub.current_period_end,
      billing_cycle_anchor: sub.billing_cycle_anchor,
      cancel_at_period_end: sub.cancel_at_period_end,
      ended_at: sub.ended_at,
      credit_balance: sub.credit_balance,
    },
    {
      plan: m.plan.id,
      quantity: m.quantity,
      status: m.status,
      current_period_start: iso(m.periodStart),
      current_period_end: iso(m.periodEnd),
      billing_cycle_anchor: iso(m.anchor),
      // An immediate cancel clears the flag; an end at the period end leaves it as it was.
      cancel_at_period_end: m.cancelAtPeriodEnd,
      ended_at: m.endedAt === null ? null : iso(m.endedAt),
      credit_balance: m.credit,
    },
    "subscription vs the model",
  );
}

// ───────────────────────────── final invariants ─────────────────────────────

interface RunFacts {
  declinedEver: boolean;
  cancelRequested: boolean;
  /** The proration lines each change made, in order, as the formula gives them (invariant 6). */
  prorations: ExpLine[];
  /** Whether those lines reached an invoice (not left pending at an immediate cancel). */
  prorationInvoiced: boolean[];
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

async function checkInvariants(sub: Subscription, invoices: Invoice[], facts: RunFacts) {
  // 1. Totals.
  for (const inv of invoices) {
    const where = `invoice ${inv.number}`;
    expect(sum(inv.lines.map((l) => l.amount)), where).toBe(inv.subtotal);
    expect(inv.total, where).toBe(inv.subtotal);
    expect(inv.credit_applied, where).toBeGreaterThanOrEqual(0);
    expect(inv.credit_applied, where).toBeLessThanOrEqual(Math.max(inv.total, 0));
    if (inv.total >= 0) {
      expect(inv.amount_due, where).toBe(inv.total - inv.credit_applied);
    } else {
      expect(inv.amount_due, where).toBe(0);
      expect(inv.credit_applied, where).toBe(0);
      expect(inv.status, where).toBe("paid");
    }
    if (inv.amount_due === 0) expect(inv.status, where).toBe("paid");
    expectInvoiceAmounts(inv, where);
  }

  // 2. Gapless numbers 1..n in creation order.
  expect(invoices.map((i) => Number(i.number!.split("-")[1]))).toEqual(invoices.map((_, n) => n + 1));

  // 3. Periods: each period is invoiced exactly once; cycles are contiguous except where an
  //    interval change restarted the cycle (its period then ends at the change).
  const cycleReasons = new Set(["subscription_create", "subscription_cycle"]);
  for (const inv of invoices.filter((i) => cycleReasons.has(i.billing_reason))) {
    const subLines = inv.lines.filter((l) => l.type === "subscription");
    expect(
      subLines.map((l) => [l.period_start, l.period_end]),
      `invoice ${inv.number}`,
    ).toEqual([[inv.period_start, inv.period_end]]);
  }
  const periods = invoices.flatMap((inv) =>
    inv.lines
      .filter((l) => l.type === "subscription")
      .map((l) => ({
        start: toSec(l.period_start),
        end: toSec(l.period_end),
        restart: inv.billing_reason === "subscription_update",
      })),
  );
  for (let n = 1; n < periods.length; n++) {
    const prev = periods[n - 1]!;
    const next = periods[n]!;
    expect(next.end).toBeGreaterThan(next.start);
    if (next.restart) {
      // An interval change at t inside the previous period: [prev.start, t) then [t, …).
      expect(next.start).toBeGreaterThanOrEqual(prev.start);
      expect(next.start).toBeLessThan(prev.end);
    } else {
      expect(iso(next.start), "cycle periods are contiguous").toBe(iso(prev.end));
    }
  }
  // Exactly once: no create/cycle period twice, and no stretch of time billed twice once each
  // period is cut at the restart that followed it (a restart at a period's very start leaves
  // it empty: credited in full).
  expectEachCyclePeriodOnce(invoices, "cycle invoices");
  const effective = periods
    .map((p, n) => ({ start: p.start, end: periods[n + 1]?.restart ? periods[n + 1]!.start : p.end }))
    .filter((p) => p.end > p.start);
  for (let n = 1; n < effective.length; n++) {
    expect(iso(effective[n]!.start), "billed time is contiguous and never overlaps").toBe(iso(effective[n - 1]!.end));
  }
  const last = periods[periods.length - 1]!;
  if (sub.status !== "canceled" && sub.status !== "incomplete_expired") {
    expect([sub.current_period_start, sub.current_period_end]).toEqual([iso(last.start), iso(last.end)]);
  } else {
    expect(sub.ended_at).not.toBeNull();
    expect(last.start).toBeLessThanOrEqual(toSec(sub.ended_at!));
  }

  // 4. Credit conservation.
  const credited = sum(invoices.filter((i) => i.total < 0).map((i) => -i.total));
  // Rule 8: a void invoice gave its credit back.
  const applied = sum(invoices.filter((i) => i.status !== "void").map((i) => i.credit_applied));
  expect(sub.credit_balance, "credit balance = credit made − credit applied (not voided)").toBe(credited - applied);

  // 5. Payments.
  for (const inv of invoices) {
    const payments = await paymentsOf<Payment>(inv.id);
    const where = `invoice ${inv.number}`;
    const succeeded = payments.filter((p) => p.status === "succeeded");
    expect(succeeded.filter((p) => p.method === "card").length, `${where}: charged at most once`).toBeLessThanOrEqual(
      1,
    );
    expectPaymentsOfInvoice(inv, payments, where);
    expect(payments.length, `${where}: one payment per attempt`).toBe(inv.attempt_count);
    if (inv.amount_due === 0) expect(payments, `${where}: nothing due, no attempt`).toEqual([]);
    if (!facts.declinedEver) {
      expect(inv.status, where).toBe("paid");
      expect(
        payments.map((p) => [p.status, p.amount]),
        where,
      ).toEqual(inv.amount_due > 0 ? [["succeeded", inv.amount_due]] : []);
    }
  }
  if (!facts.declinedEver) {
    expect(sub.status).toMatch(facts.cancelRequested ? /^(active|canceled)$/ : /^active$/);
  } else {
    expectStatusAgainstOpenInvoices(sub, invoices, "after the scenario");
  }

  // 7. Causal order (docs/billing-rules.md, Events): subscription.created first; each invoice created < finalized.
  const events = (
    await ok<ListPage<{ type: string; data: { object: { id: string } } }>>(
      "GET",
      `/v1/subscriptions/${sub.id}/events?limit=100`,
    )
  ).data;
  expect(events[0]?.type).toBe("subscription.created");
  for (const inv of invoices) {
    const of = events.map((e, n) => ({ n, type: e.type, id: e.data.object.id })).filter((e) => e.id === inv.id);
    if (of.length === 0) continue; // beyond the first page
    expect(
      of.slice(0, 2).map((e) => e.type),
      `events of invoice ${inv.number}`,
    ).toEqual(["invoice.created", "invoice.finalized"]);
  }

  // 6. Proration lines: what each change made, as rule 4's formula gives it.
  const prorationLines = invoices.flatMap((inv) => inv.lines.filter((l) => l.type === "proration"));
  const expected = facts.prorations.filter((_, n) => facts.prorationInvoiced[n]);
  // As multisets: lines left pending reach an invoice after the lines of a later change.
  const sorted = (views: object[]) => views.map((v) => JSON.stringify(v)).sort();
  expectSame(
    sorted(prorationLines.map((l) => actualLineView(l, true))),
    sorted(expected.map(expectedLineView)),
    "proration lines vs rule 4",
  );
}

// ───────────────────────────── one run ─────────────────────────────

async function runScenario(sc: Scenario): Promise<void> {
  const trace: string[] = [];
  const clock = await ok<TestClock>("POST", "/v1/test_clocks", { frozen_time: sc.start });
  const customer = await ok<Customer>("POST", "/v1/customers", {
    email: "prop@example.com",
    payment_method: PM_TOKEN[sc.initialPm],
    test_clock: clock.id,
  });
  const names = ["Basic", "Plus", "Pro"];
  const plans: PlanDef[] = [];
  for (const [n, amount] of sc.monthly.entries()) {
    const plan = await ok<Plan>("POST", "/v1/plans", {
      id: uniquePlanId("inv"),
      name: names[n],
      currency: "usd",
      amount,
      interval: "month",
    });
    plans.push({ id: plan.id, name: plan.name, amount, interval: "month" });
  }
  const yearly = await ok<Plan>("POST", "/v1/plans", {
    id: uniquePlanId("inv"),
    name: "Annual",
    currency: "usd",
    amount: sc.yearly,
    interval: "year",
  });
  plans.push({ id: yearly.id, name: yearly.name, amount: sc.yearly, interval: "year" });

  const initial = plans[sc.initialPlan]!;
  const start = toSec(sc.start);
  const anchor = sc.anchor == null ? null : sc.anchor === "interval" ? addMonths(start, 1) : start + sc.anchor;
  const created = await ok<Subscription>("POST", "/v1/subscriptions", {
    customer: customer.id,
    plan: initial.id,
    quantity: sc.initialQuantity,
    ...(anchor === null ? {} : { billing_cycle_anchor: iso(anchor) }),
  });
  const sid = created.id;
  // With an anchor, period −1 is [start, anchor): rule 6 prices it against [anchor − 1 month, anchor).
  const m: Model = {
    now: start,
    plan: initial,
    quantity: sc.initialQuantity,
    anchor: anchor ?? start,
    k: anchor === null ? 0 : -1,
    periodStart: start,
    periodEnd: anchor ?? periodStartOf(start, initial, 1),
    status: "active",
    cancelAtPeriodEnd: false,
    endedAt: null,
    expireAt: null,
    credit: 0,
    pending: [],
    invoices: [],
    pm: sc.initialPm,
  };
  const firstLine = subscriptionLine(initial, sc.initialQuantity, m.periodStart, m.periodEnd);
  if (anchor !== null && addMonths(start, 1) !== anchor)
    firstLine.amount = prorate(initial.amount, sc.initialQuantity, addMonths(anchor, -1), anchor, start);
  finalize(m, "subscription_create", m.periodStart, m.periodEnd, [firstLine], start);
  const facts: RunFacts = {
    declinedEver: sc.initialPm === "declined",
    cancelRequested: false,
    prorations: [],
    prorationInvoiced: [],
  };
  /** For each pending proration fact: its index, so it can be marked invoiced when swept. */
  let pendingProrations: number[] = [];
  const sweep = (before: number) => {
    if (m.invoices.length > before) {
      for (const n of pendingProrations) facts.prorationInvoiced[n] = true;
      pendingProrations = [];
    }
  };
  const sub = (path: string, body: unknown) => api<unknown>("POST", `/v1/subscriptions/${sid}/${path}`, body);

  for (const [step, op] of sc.ops.entries()) {
    const before = m.invoices.length;
    try {
      switch (op.kind) {
        case "advance": {
          const target = m.now + op.seconds;
          const ready = await ok<TestClock>("POST", `/v1/test_clocks/${clock.id}/advance`, {
            frozen_time: iso(target),
          });
          expect(ready).toMatchObject({ status: "ready", frozen_time: iso(target) });
          advanceModel(m, target);
          break;
        }
        case "advanceToPeriodEnd": {
          const target = isEnded(m.status) ? m.now + HOUR : Math.max(m.now + 1, m.periodEnd + op.offset);
          const ready = await ok<TestClock>("POST", `/v1/test_clocks/${clock.id}/advance`, {
            frozen_time: iso(target),
          });
          expect(ready).toMatchObject({ status: "ready", frozen_time: iso(target) });
          advanceModel(m, target);
          break;
        }
        case "change": {
          const body: { plan?: string; quantity?: number; proration_behavior: Behavior } = {
            proration_behavior: op.behavior,
          };
          if (op.plan !== null) body.plan = plans[op.plan]!.id;
          if (op.quantity !== null) body.quantity = op.quantity;
          if (m.status !== "active" && m.status !== "past_due") {
            expectError(await sub("change", body), 400, "invalid_status");
            break;
          }
          const preview = expectOk<ChangePreview>(await sub("preview_change", body), 200);
          const changed = expectOk<Subscription>(await sub("change", body), 200);
          const made = changeModel(
            m,
            op.plan !== null ? plans[op.plan]! : m.plan,
            op.quantity ?? m.quantity,
            op.behavior,
          );
          // Invariant 6 at once, even for lines left pending: the preview shows the lines the
          // change makes (with the pending ones when it invoices at once), by rule 4's formula.
          const issued = m.invoices.length > before ? m.invoices[m.invoices.length - 1]! : null;
          expectSame(
            {
              invoiced_now: preview.invoiced_now,
              lines: preview.lines.map((l) => actualLineView(l, l.type !== "subscription")),
            },
            { invoiced_now: issued !== null, lines: (issued ? issued.lines : made).map(expectedLineView) },
            "preview_change",
          );
          const first = facts.prorations.length;
          facts.prorations.push(...made);
          const invoiced = m.invoices.length > before;
          made.forEach((_, n) => {
            facts.prorationInvoiced[first + n] = invoiced;
            if (!invoiced) pendingProrations.push(first + n);
          });
          expect(changed.invoice ? changed.invoice.id : null, "the change's invoice").toBe(
            invoiced ? changed.latest_invoice : null,
          );
          break;
        }
        case "item": {
          const res = await sub("invoice_items", { amount: op.amount, description: `Item ${step}` });
          if (isEnded(m.status)) {
            expectError(res, 400, "subscription_ended");
            break;
          }
          expectOk<InvoiceLine>(res, 201);
          m.pending.push({
            type: "invoice_item",
            amount: op.amount,
            quantity: 1,
            plan: null,
            periodStart: m.now,
            periodEnd: m.now,
            description: `Item ${step}`,
          });
          break;
        }
        case "invoice": {
          const res = await sub("invoices", {});
          if (isEnded(m.status)) expectError(res, 400, "subscription_ended");
          // Rule 9: while incomplete, nothing but the first invoice is owed.
          else if (m.status === "incomplete") expectError(res, 400, "invalid_status");
          else if (m.pending.length === 0) expectError(res, 400, "nothing_to_invoice");
          else {
            expectOk<Invoice>(res, 201);
            finalize(m, "manual", m.now, m.now, [], m.now);
          }
          break;
        }
        case "cancel": {
          const res = await sub("cancel", { at_period_end: op.atPeriodEnd });
          if (isEnded(m.status)) {
            expectError(res, 400, "subscription_ended");
            break;
          }
          expectOk<Subscription>(res, 200);
          facts.cancelRequested = true;
          if (op.atPeriodEnd) {
            m.cancelAtPeriodEnd = true;
          } else {
            m.cancelAtPeriodEnd = false;
            endWithPending(m, m.now);
          }
          break;
        }
        case "resume": {
          const res = await sub("resume", {});
          if (isEnded(m.status)) {
            expectError(res, 400, "subscription_ended");
            break;
          }
          expectOk<Subscription>(res, 200);
          m.cancelAtPeriodEnd = false;
          break;
        }
        case "pm": {
          await ok<Customer>("PATCH", `/v1/customers/${customer.id}`, { payment_method: PM_TOKEN[op.pm] });
          m.pm = op.pm;
          if (op.pm === "declined") facts.declinedEver = true;
          if (m.status === "past_due" || m.status === "incomplete") {
            for (const invoice of openInvoices(m)) if (invoice.status === "open") attempt(m, invoice, m.now, true);
          }
          break;
        }
      }
      sweep(before);
      const [invoices, current] = await Promise.all([
        allInvoices(sid),
        ok<Subscription>("GET", `/v1/subscriptions/${sid}`),
      ]);
      trace.push(
        `${step}: ${JSON.stringify(op)} → ${current.status}, ${invoices.length} invoices, credit ${current.credit_balance}`,
      );
      compareWithModel(m, invoices, current);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `step ${step} ${JSON.stringify(op)} failed: ${message}\nsubscription ${sid}\ntrace:\n${trace.join("\n")}`,
      );
    }
  }

  const [invoices, final] = await Promise.all([allInvoices(sid), ok<Subscription>("GET", `/v1/subscriptions/${sid}`)]);
  try {
    await checkInvariants(final, invoices, facts);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`final invariants: ${message}\nsubscription ${sid}\ntrace:\n${trace.join("\n")}`);
  }
}

/**
 * Sequences worth keeping as fixed examples: counterexamples fast-check found (shrunk), and
 * edges that random runs reach rarely. Each runs exactly as a random one would.
 */
const PINNED: { name: string; scenario: Scenario }[] = [
  {
    // Rule 9: an incomplete subscription leaves that state only by paying its first invoice
    // or at the 23-hour expiry. Found by this property: a failed manual invoice made it
    // past_due, and then it never expired. Invoicing now is refused while incomplete.
    name: "an incomplete subscription cannot be invoiced now and stays incomplete (rule 9)",
    scenario: {
      start: "2026-01-31T10:17:23Z",
      monthly: [1, 2, 3],
      yearly: 1,
      initialPlan: 0,
      initialQuantity: 1,
      initialPm: "declined",
      ops: [{ kind: "item", amount: 1 }, { kind: "invoice" }],
    },
  },
  {
    name: "an incomplete subscription expires at 23 hours; a card added later pays nothing",
    scenario: {
      start: "2026-05-15T00:00:00Z",
      monthly: [1000, 2000, 3000],
      yearly: 10000,
      initialPlan: 1,
      initialQuantity: 2,
      initialPm: "declined",
      ops: [
        { kind: "advance", seconds: 22 * HOUR },
        { kind: "item", amount: 300 },
        { kind: "advance", seconds: HOUR },
        { kind: "pm", pm: "visa" },
        { kind: "invoice" },
      ],
    },
  },
  {
    name: "interval changes at the very start of a period: month → year → month",
    scenario: {
      start: "2026-01-31T10:17:23Z",
      monthly: [1, 2, 3],
      yearly: 1,
      initialPlan: 0,
      initialQuantity: 1,
      initialPm: "visa",
      ops: [
        { kind: "change", plan: 3, quantity: null, behavior: "create_prorations" },
        { kind: "change", plan: 0, quantity: null, behavior: "create_prorations" },
        { kind: "change", plan: null, quantity: 1, behavior: "create_prorations" },
        { kind: "advanceToPeriodEnd", offset: 0 },
      ],
    },
  },
  {
    // Attempts at the renewal R, R+1 d, R+4 d; a card switch makes attempt 4 at once, on
    // request, which moves nothing (rule 9); the schedule's attempts at R+9 d and R+16 d
    // follow, and the failure of the last cancels at R+16 d, the invoice left open.
    name: "a declined renewal walks the whole retry ladder, then the subscription is canceled",
    scenario: {
      start: "2027-12-29T23:59:59Z",
      monthly: [999, 2500, 4999],
      yearly: 50000,
      initialPlan: 0,
      initialQuantity: 3,
      initialPm: "visa",
      ops: [
        { kind: "change", plan: 2, quantity: null, behavior: "create_prorations" },
        { kind: "pm", pm: "declined" },
        { kind: "advanceToPeriodEnd", offset: 0 },
        { kind: "advance", seconds: 4 * DAY },
        { kind: "pm", pm: "declined" },
        { kind: "advance", seconds: 20 * DAY },
        { kind: "pm", pm: "visa" },
        { kind: "item", amount: 100 },
      ],
    },
  },
  {
    name: "a renewal held while incomplete is invoiced when a new card pays the first invoice (rule 9)",
    scenario: {
      start: "2026-03-30T06:00:07Z",
      monthly: [1000, 2000, 3000],
      yearly: 10000,
      initialPlan: 0,
      initialQuantity: 1,
      initialPm: "declined",
      anchor: 2 * HOUR,
      ops: [
        { kind: "advance", seconds: 3 * HOUR },
        { kind: "item", amount: 250 },
        { kind: "pm", pm: "visa" },
        { kind: "advanceToPeriodEnd", offset: 0 },
      ],
    },
  },
  {
    name: "a renewal held while incomplete is never invoiced when the first invoice expires (rule 9)",
    scenario: {
      start: "2026-01-31T10:17:23Z",
      monthly: [1000, 2000, 3000],
      yearly: 10000,
      initialPlan: 2,
      initialQuantity: 2,
      initialPm: "declined",
      anchor: 5 * HOUR,
      ops: [
        { kind: "advance", seconds: 30 * HOUR },
        { kind: "pm", pm: "visa" },
        { kind: "advance", seconds: 40 * DAY },
      ],
    },
  },
  {
    name: "an upgrade's prorations reach a final invoice at an immediate cancel (rule 12), in a short first period (rule 4)",
    scenario: {
      start: "2026-05-15T00:00:00Z",
      monthly: [1000, 2000, 3000],
      yearly: 10000,
      initialPlan: 0,
      initialQuantity: 1,
      initialPm: "visa",
      anchor: 10 * DAY,
      ops: [
        { kind: "advance", seconds: 5 * DAY },
        { kind: "change", plan: 2, quantity: null, behavior: "create_prorations" },
        { kind: "cancel", atPeriodEnd: false },
      ],
    },
  },
  {
    name: "an anchor exactly one month away is a full first period; items left at a period-end cancel are billed (rules 6, 12)",
    scenario: {
      start: "2026-01-31T10:17:23Z",
      monthly: [1000, 2000, 3000],
      yearly: 10000,
      initialPlan: 1,
      initialQuantity: 1,
      initialPm: "visa",
      anchor: "interval",
      ops: [
        { kind: "item", amount: 700 },
        { kind: "cancel", atPeriodEnd: true },
        { kind: "advance", seconds: 40 * DAY },
      ],
    },
  },
];

describe("billing invariants under random operation sequences (model-based)", () => {
  it("keeps every invoice, period, credit and payment exact", async () => {
    // ~0.1 s per run here; a failure prints the shrunk scenario (its ops) and the seed.
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, (scenario) => runScenario(scenario)),
      {
        numRuns: 50,
        interruptAfterTimeLimit: 100_000,
        markInterruptAsFailure: false,
      },
    );
  }, 120_000);

  it.each(PINNED)(
    "pinned: $name",
    async ({ scenario }) => {
      await runScenario(scenario);
    },
    30_000,
  );
});
