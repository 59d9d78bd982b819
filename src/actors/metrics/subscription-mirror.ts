import { contributionOf, metricsShardOf } from "../../admin/metrics/contribution";
import type { MirrorStore } from "../../admin/mirror-state";
import { writeKeys } from "../../admin/mirror-state";
import { subscriptionIndexKeys, summaryOf } from "../../admin/subscription-summary";
import type { Env } from "../env";
import type { SubscriptionRecord } from "../subscription/store";

/**
 * After a subscription's change has committed: hand its contribution to its metrics shard
 * (only when its status, currency or MRR moved), then write its summary under its record key
 * and each index key it newly belongs to, and remove the keys of its former status or plan.
 * A renewal that changes neither status nor plan writes one KV key and makes no call. The
 * progress (keys, versions) is saved in one row (the subscription's own: `mirror`). Returns a retry time when KV's
 * one-write-per-second-per-key limit makes the write wait; the alarm then writes whatever is
 * current by then.
 */
export async function mirrorSubscription(
  env: Env,
  mirror: MirrorStore,
  record: SubscriptionRecord,
  nowMs: number,
): Promise<number | undefined> {
  const sent = mirror.load();
  let metrics = { metricsVersion: sent.metricsVersion, metrics: sent.metrics };
  if (sent.metricsVersion < record.version) {
    const contribution = contributionOf(record);
    const content = JSON.stringify([contribution.status, contribution.currency, contribution.mrr]);
    // A renewal that changes neither status nor MRR leaves the shard's row true as it is: no call.
    if (content !== sent.metrics) await env.METRICS.getByName(metricsShardOf(record.id)).apply(contribution);
    metrics = { metricsVersion: record.version, metrics: content };
  }
  const summary = summaryOf(record);
  const value = JSON.stringify(summary);
  const [recordKey, ...indexKeys] = subscriptionIndexKeys(summary);
  const entries = [
    { key: recordKey!, value, metadata: summary, refresh: true },
    ...indexKeys.map((key) => ({ key, value: summary.id, metadata: { id: summary.id }, refresh: false })),
  ];
  return writeKeys(env.BILLIFY_KV, mirror, record.version, entries, nowMs, sent, metrics);
}
