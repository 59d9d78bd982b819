import type { Outcome } from "../../contract/errors";
import { notFound, ok } from "../../contract/errors";
import type { SubscriptionUsage } from "../../contract/meter";
import type { Decided, Decision, Ledger } from "../../domain/decision";
import { decideLateUsage } from "../../domain/lifecycle";
import { priceLines } from "../../domain/pricing";
import type { DraftLine } from "../../domain/proration";
import type { SubscriptionState } from "../../domain/subscription";
import { isEnded } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import type { UsageAggregate } from "../../domain/usage/aggregate";
import { addEvent, EMPTY_AGGREGATE } from "../../domain/usage/aggregate";
import { parseDecimal } from "../../domain/usage/decimal";
import type { WindowPlan } from "../../domain/usage/lines";
import { lateUsageLines, meteredCharges, priceWindow, usageLines } from "../../domain/usage/lines";
import type { UsageEvent } from "../customer/meter-events";
import type { BillingContext, RequestContext, SubscriptionContext } from "./context";
import { runJobsDue } from "./jobs";
import { loadLedger, persist } from "./persist";
import type { UsageWindow } from "./usage-store";

// Usage billing on the subscription (docs/billing-rules.md rule 14). Usage is
// counted into windows: [s, e) of a period, split at a plan change. Each window keeps one
// aggregate row per meter, updated per batch of events, so closing a window reads those rows and
// never the events. A window closes at the period end (the renewal), at a plan change, or at an
// immediate cancel: its usage lines join the ledger's pending lines for that one decision, so
// the very decision that makes the invoice sweeps them (or leaves them pending).

function planOf(window: UsageWindow): WindowPlan {
  return { planId: window.planId, charges: meteredCharges(window.charges) };
}

/** The usage lines of the open window if it closed at `at`, and what they bill per charge. */
export interface ClosingUsage {
  window: UsageWindow;
  lines: DraftLine[];
  billed: number[];
}

export function closingUsage(ctx: BillingContext, at: Instant): ClosingUsage | null {
  const window = ctx.store.usage.openWindow();
  if (!window || window.start >= at) return null;
  const plan = planOf(window);
  const priced = priceWindow(plan, ctx.store.usage.aggregates(window.start));
  return {
    window,
    lines: usageLines(plan, { start: window.start, end: at }, priced),
    billed: priced.map((p) => p.amount),
  };
}

/** The ledger a closing decision sees: the closing window's usage lines are pending too. */
export function withUsage(ledger: Ledger, closing: ClosingUsage | null): Ledger {
  return closing ? { ...ledger, pending: [...ledger.pending, ...closing.lines] } : ledger;
}

/**
 * After a decision that closed usage at `at` (inside its transaction): lines it did not sweep
 * stay pending (rule 14f: a change never drops usage), the window records what it billed, and a
 * window opens at `at` for the plan now in force while usage is billable.
 */
export function settleUsage(ctx: BillingContext, closing: ClosingUsage | null, decision: Decision, at: Instant): void {
  const { usage } = ctx.store;
  if (closing) {
    if (!decision.pendingConsumed) ctx.store.addPending(closing.lines);
    usage.closeWindow(closing.window.start, at, closing.billed);
  }
  openWindowIfBillable(ctx, decision.state, at);
}

/** Usage is billable while the subscription runs out of its trial under a plan with charges. */
export function openWindowIfBillable(ctx: BillingContext, state: SubscriptionState, at: Instant): void {
  const { usage } = ctx.store;
  if (isEnded(state.status) || state.status === "trialing" || !state.plan.charges?.length) return;
  const open = usage.openWindow();
  if (open && open.planId === state.plan.id) return;
  if (open && open.start < at) return; // closed by its own decision, never here
  usage.insertWindow(at, state.plan.id, state.plan.charges);
}

/** Rule 14b: whether an event at `ts` counts for this subscription at all. */
function attributable(state: SubscriptionState, created: Instant, ts: Instant): boolean {
  if (ts < created) return false;
  if (state.trialStart !== null && state.trialEnd !== null && ts >= state.trialStart && ts < state.trialEnd)
    return false;
  return state.endedAt === null || ts < state.endedAt;
}

/**
 * Counts a batch of the customer's events (its log, in order, from this subscription's cursor)
 * in one transaction with the cursor: a redelivered event is at or below the cursor and is
 * skipped, so each is counted exactly once (rule 14h). Events of windows already billed make
 * late usage lines (rule 14g), pending for the next invoice, or invoiced at once once ended.
 */
export async function recordUsage(
  ctx: SubscriptionContext,
  id: string,
  events: readonly UsageEvent[],
  now: Instant,
): Promise<Outcome<{ through: number }>> {
  const record = ctx.store.load();
  if (!record || record.id !== id) return notFound("subscription", id);
  let issued = false;
  const through = ctx.transaction(() => {
    const { usage } = ctx.store;
    const state = ctx.store.load()!.state;
    let counted = usage.countedThrough();
    const touched = new Map<string, { windowStart: number; eventName: string; aggregate: UsageAggregate }>();
    const windows = new Map<number, UsageWindow>();
    for (const event of events) {
      if (event.seq <= counted) continue;
      counted = event.seq;
      if (!attributable(state, record.created, event.timestamp)) continue;
      const found = usage.windowAt(event.timestamp);
      if (!found) continue;
      // An event past the open window's period end (clock skew before the renewal ran) belongs
      // to the next window, which will open at that end with the plan in force.
      const ahead = found.end === null && event.timestamp >= state.currentPeriodEnd;
      const window: UsageWindow = ahead
        ? {
            start: state.currentPeriodEnd,
            end: null,
            planId: state.plan.id,
            charges: [...(state.plan.charges ?? [])],
            billed: null,
          }
        : found;
      const charge = window.charges.find((c) => c.eventName === event.event_name);
      if (!charge) continue;
      windows.set(window.start, window);
      const key = `${window.start}\n${event.event_name}`;
      const entry = touched.get(key) ?? {
        windowStart: window.start,
        eventName: event.event_name,
        aggregate: usage.aggregates(window.start).get(event.event_name) ?? EMPTY_AGGREGATE,
      };
      const distinctIsNew =
        charge.aggregation === "unique_count" && usage.addDistinct(window.start, event.event_name, event.value ?? "");
      const value =
        charge.aggregation === "count" || charge.aggregation === "unique_count"
          ? null
          : parseDecimal(event.value ?? "0");
      entry.aggregate = addEvent(entry.aggregate, { value, timestamp: event.timestamp, seq: event.seq }, distinctIsNew);
      touched.set(key, entry);
    }
    for (const entry of touched.values()) usage.saveAggregate(entry.windowStart, entry.eventName, entry.aggregate);
    usage.setCountedThrough(counted);
    const late = lateLines(ctx, [...windows.values()]);
    if (late.length > 0) {
      const decision = decideLateUsage(loadLedger(ctx), late, now);
      issued = decision.issue.length > 0;
      persist(ctx, decision, now);
    }
    return counted;
  });
  if (issued) await runJobsDue(ctx, now);
  else ctx.publishSoon();
  return ok({ through });
}

/** Rule 14g: for each billed window that these events reached, what it costs now minus what was billed. */
function lateLines(ctx: BillingContext, windows: readonly UsageWindow[]): DraftLine[] {
  const { usage } = ctx.store;
  return windows.flatMap((window) => {
    if (window.billed === null || window.end === null) return [];
    const plan = planOf(window);
    const priced = priceWindow(plan, usage.aggregates(window.start));
    usage.setBilled(
      window.start,
      priced.map((p) => p.amount),
    );
    return lateUsageLines(plan, { start: window.start, end: window.end }, priced, window.billed);
  });
}

/**
 * GET /v1/subscriptions/{id}/usage: the open window so far, priced per charge; `total` is what
 * its usage lines would bill now, after the subscription's discount (rule 13e).
 */
export async function usageSoFar(ctx: RequestContext, id: string): Promise<Outcome<SubscriptionUsage>> {
  const record = ctx.store.load();
  if (!record || record.id !== id) return notFound("subscription", id);
  const window = ctx.store.usage.openWindow();
  if (!window)
    return ok({
      object: "subscription_usage",
      subscription: id,
      currency: record.state.plan.currency,
      data: [],
      total: 0,
    });
  const plan = planOf(window);
  const priced = priceWindow(plan, ctx.store.usage.aggregates(window.start));
  const now = await ctx.clockNow(record.testClock);
  const lines = priceLines(
    usageLines(plan, { start: window.start, end: record.state.currentPeriodEnd }, priced),
    record.state,
    now,
  );
  return ok({
    object: "subscription_usage",
    subscription: id,
    currency: record.state.plan.currency,
    data: priced.map((p) => ({
      charge: p.charge.index,
      meter: p.charge.meter,
      period_start: toIso(window.start),
      period_end: toIso(record.state.currentPeriodEnd),
      usage_quantity: p.quantity,
      amount: p.amount,
    })),
    total: lines.reduce((sum, l) => sum + l.amount - l.discounts.reduce((d, x) => d + x.amount, 0), 0),
  });
}

/** A decision that closes usage at `at`: decided on the ledger with the usage lines, then settled. */
export function decideClosingUsage<D extends Decided | Decision>(
  ctx: BillingContext,
  at: Instant,
  closes: boolean,
  decide: (ledger: Ledger) => D,
): { decided: D; closing: ClosingUsage | null } {
  const closing = closes ? closingUsage(ctx, at) : null;
  return { decided: decide(withUsage(loadLedger(ctx), closing)), closing };
}
