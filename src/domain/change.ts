import type { Period } from "./billing-period";
import { isShortFirstPeriod, oneIntervalBefore, periodAt } from "./billing-period";
import { carriedDiscount, discountAppliesAt, lineDiscounts } from "./discount";
import type { DraftLine } from "./proration";
import { prorationCharge, prorationCredit, subscriptionLine } from "./proration";
import type { PlanTerms, ProrationBehavior, SubscriptionState, SubscriptionStatus, Transition } from "./subscription";
import { pricedItem, refusal } from "./subscription";
import type { Instant } from "./time";

// A plan or quantity change (docs/billing-rules.md rules 4, 5, 7) as a state transition.

/**
 * Rule 4's denominator: the interval the current period was charged against. A short first
 * period was charged a fraction of [anchor − 1 interval, anchor), so its credit is measured
 * against that whole interval and never exceeds what was charged.
 */
function chargedInterval(state: SubscriptionState): Period {
  const current = { start: state.currentPeriodStart, end: state.currentPeriodEnd };
  if (state.trialEnd === null && isShortFirstPeriod(current, state.anchor, state.plan.cadence)) {
    return { start: oneIntervalBefore(state.anchor, state.plan.cadence), end: current.end };
  }
  return current;
}

export interface ChangeInput {
  plan: PlanTerms | null;
  quantity: number | null;
  prorationBehavior: ProrationBehavior;
  now: Instant;
}

const CHANGEABLE: ReadonlySet<SubscriptionStatus> = new Set(["trialing", "active", "past_due", "unpaid"]);

/**
 * A plan or quantity change at t (rules 4, 5, 7).
 *  - in a trial: no lines; the new terms apply from the trial end;
 *  - same cadence: credit the unused old terms and charge the new ones for [t, e);
 *    left pending (create_prorations), invoiced now (always_invoice), or not at all (none);
 *  - another cadence: credit the unused time, restart the cycle at t and invoice a full
 *    new period at once.
 */
export function changeSubscription(state: SubscriptionState, change: ChangeInput): Transition {
  if (!CHANGEABLE.has(state.status)) {
    return refusal("invalid_status", `a ${state.status} subscription cannot change`);
  }
  const plan = change.plan ?? state.plan;
  const quantity = change.quantity ?? state.quantity;
  if (plan.currency !== state.plan.currency) {
    return refusal(
      "currency_mismatch",
      `the new plan is in ${plan.currency}, the subscription in ${state.plan.currency}`,
      "plan",
    );
  }
  const next = {
    ...state,
    plan,
    quantity,
    periodDiscount: periodDiscountAfterChange(state, plan, quantity, change.now),
  };
  // Nothing changes: no credit and charge that cancel out (as Stripe does).
  if (plan.id === state.plan.id && quantity === state.quantity) return { ok: true, state, invoice: null, pending: [] };
  if (state.status === "trialing") return { ok: true, state: next, invoice: null, pending: [] };

  const t = change.now;
  const current = chargedInterval(state);
  const sameCadence =
    plan.cadence.interval === state.plan.cadence.interval &&
    plan.cadence.intervalCount === state.plan.cadence.intervalCount;
  const credit = creditCarryingDiscount(state, current, t);

  if (!sameCadence) {
    const period = periodAt(t, plan.cadence, 0);
    const lines = change.prorationBehavior === "none" ? [] : [credit];
    lines.push(subscriptionLine(pricedItem(plan, quantity), period));
    return {
      ok: true,
      // The new period's own subscription line records its discount when it is invoiced.
      state: {
        ...next,
        anchor: t,
        currentPeriodStart: period.start,
        currentPeriodEnd: period.end,
        periodDiscount: null,
      },
      invoice: { reason: "subscription_update", period, lines },
      pending: [],
    };
  }
  if (change.prorationBehavior === "none") return { ok: true, state: next, invoice: null, pending: [] };
  const lines = [credit, prorationCharge(pricedItem(plan, quantity), current, t)];
  if (change.prorationBehavior === "create_prorations") return { ok: true, state: next, invoice: null, pending: lines };
  return {
    ok: true,
    state: next,
    invoice: { reason: "subscription_update", period: { start: t, end: current.end }, lines },
    pending: [],
  };
}

/**
 * Rule 4's credit line with rule 13d's carried discount: −round(D × f), D the discount the
 * period's subscription line received, f the unused share of that line's own period (in a
 * short first period that line was charged for [start, anchor), so f is measured on it).
 */
function creditCarryingDiscount(state: SubscriptionState, charged: Period, t: Instant): DraftLine {
  const credit = prorationCredit(pricedItem(state.plan, state.quantity), charged, t);
  const own = { start: state.currentPeriodStart, end: state.currentPeriodEnd };
  const carried = carriedDiscount(state.periodDiscount, own.end - t, own.end - own.start);
  return carried ? { ...credit, carriedDiscount: carried } : credit;
}

/**
 * What a later credit in this period carries once the terms change at t: the discount a full
 * period of the new terms takes under the discount in force at t (none without one). It never
 * exceeds what was paid for the new terms when their charge took that discount.
 */
function periodDiscountAfterChange(state: SubscriptionState, plan: PlanTerms, quantity: number, t: Instant) {
  if (!discountAppliesAt(state.discount, t)) return null;
  const line = subscriptionLine(pricedItem(plan, quantity), {
    start: state.currentPeriodStart,
    end: state.currentPeriodEnd,
  });
  const amount = lineDiscounts(state.discount.coupon, [line])[0] ?? 0;
  return amount === 0 ? null : { coupon: state.discount.coupon.id, amount };
}
