import { toIso } from "../../domain/time";
import type { SubscriptionRecord } from "./store";

/**
 * The KV read model of one subscription (kept in the key's metadata, ≤ 1024 bytes, so an
 * admin listing reads it without a get per key). `version` grows with every change.
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
  version: number;
}

export const SUBSCRIPTION_SUMMARY_PREFIX = "subs/";

export function summaryKey(subscriptionId: string): string {
  return `${SUBSCRIPTION_SUMMARY_PREFIX}${subscriptionId}`;
}

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
    version: record.version,
  };
}
