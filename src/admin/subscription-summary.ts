import type { SubscriptionRecord } from "../domain/subscription-record";
import { toIso } from "../domain/time";
import { invertedTimeOf } from "./keys";

/**
 * The admin read model of one subscription. It rides in the metadata (≤ 1024 bytes) of its
 * record key (`all`), so the unfiltered listing reads no values and no actor; a filtered
 * listing reads the record key of each row its index names. `version` grows with every
 * change of the subscription.
 */
export interface SubscriptionSummary {
  id: string;
  status: string;
  plan: string;
  customer: string;
  amount: number;
  quantity: number;
  currency: string;
  interval: string;
  interval_count: number;
  current_period_end: string;
  cancel_at_period_end: boolean;
  test_clock: string | null;
  created: string;
  version: number;
}

/** KV's limit on a key's metadata. */
export const MAX_METADATA_BYTES = 1024;

export function summaryOf(record: SubscriptionRecord): SubscriptionSummary {
  const s = record.state;
  return {
    id: record.id,
    status: s.status,
    plan: s.plan.id,
    customer: record.customer,
    amount: s.plan.amount,
    quantity: s.quantity,
    currency: s.plan.currency,
    interval: s.plan.cadence.interval,
    interval_count: s.plan.cadence.intervalCount,
    current_period_end: toIso(s.currentPeriodEnd),
    cancel_at_period_end: s.cancelAtPeriodEnd,
    test_clock: record.testClock,
    created: toIso(record.created),
    version: record.version,
  };
}

/**
 * The keys of a subscription, newest first under each prefix: its record key, with the
 * summary, and three pure index keys, which only name it and are written once when the
 * subscription enters them (so a renewal rewrites the record key alone):
 *   admin/subs/all/<inverted ms>/<id>                    (the record: the summary)
 *   admin/subs/status/<status>/<inverted ms>/<id>
 *   admin/subs/plan/<plan>/<inverted ms>/<id>
 *   admin/subs/customer/<customer>/<inverted ms>/<id>
 * Plan ids (`[a-z0-9_-]` or `plan_<ULID>`), customer ids and statuses contain no `/`.
 */
const SUBSCRIPTION_INDEX = "admin/subs/";

type SubscriptionFilter = "all" | "status" | "plan" | "customer";

export function subscriptionIndexPrefix(filter: SubscriptionFilter, value?: string): string {
  return filter === "all" ? `${SUBSCRIPTION_INDEX}all/` : `${SUBSCRIPTION_INDEX}${filter}/${value}/`;
}

/** The record key of subscription `id` (the first of its `subscriptionIndexKeys`). */
export function subscriptionRecordKey(id: string): string {
  return `${subscriptionIndexPrefix("all")}${invertedTimeOf(id)}/${id}`;
}

export function subscriptionIndexKeys(summary: SubscriptionSummary): string[] {
  const tail = `${invertedTimeOf(summary.id)}/${summary.id}`;
  return [
    `${subscriptionIndexPrefix("all")}${tail}`,
    `${subscriptionIndexPrefix("status", summary.status)}${tail}`,
    `${subscriptionIndexPrefix("plan", summary.plan)}${tail}`,
    `${subscriptionIndexPrefix("customer", summary.customer)}${tail}`,
  ];
}
