import { monthlyRecurringRevenue, recurringAmount } from "../../domain/mrr";
import type { SubscriptionRecord } from "../../domain/subscription-record";
import { fnv1a } from "../../lib/hash";

/** What one subscription adds to the metrics, at one version of it. */
export interface Contribution {
  subscription: string;
  version: number;
  status: string;
  currency: string;
  /** Minor units per month (0 unless active or past_due). */
  mrr: number;
}

export function contributionOf(record: SubscriptionRecord): Contribution {
  const s = record.state;
  return {
    subscription: record.id,
    version: record.version,
    status: s.status,
    currency: s.plan.currency,
    // A recurring discount lowers MRR (domain/mrr.ts recurringAmount).
    mrr: monthlyRecurringRevenue(s.status, recurringAmount(s), 1, s.plan.cadence),
  };
}

/** Aggregates are split over this many actors, so no single object takes every transition. */
export const METRICS_SHARDS = 16;

/** The shard of a subscription: FNV-1a of its id, modulo the shard count. */
export function metricsShardOf(subscriptionId: string): string {
  return `shard-${fnv1a(subscriptionId) % METRICS_SHARDS}`;
}

export interface MetricsTotals {
  mrr: Record<string, number>;
  counts: Record<string, number>;
}
