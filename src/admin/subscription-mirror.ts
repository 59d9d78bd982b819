import type { SubscriptionRecord } from "../actors/subscription/store";
import type { Env } from "../env";
import { contributionOf, metricsShardOf } from "./metrics/contribution";
import type { Query } from "./mirror-state";
import { loadMirrorState, saveMirrorState, writeKeys } from "./mirror-state";
import { subscriptionIndexKeys, summaryOf } from "./subscription-summary";

/**
 * After a subscription's change has committed: hand its contribution to its metrics shard
 * (once per version), then write its summary under every index key and remove the keys of
 * its former status or plan. Returns a retry time when KV's one-write-per-second-per-key
 * limit makes the write wait; the alarm then writes whatever is current by then.
 */
export async function mirrorSubscription(env: Env, query: Query, record: SubscriptionRecord, nowMs: number): Promise<number | void> {
  if (loadMirrorState(query).metricsVersion < record.version) {
    await env.METRICS.getByName(metricsShardOf(record.id)).apply(contributionOf(record));
    saveMirrorState(query, { ...loadMirrorState(query), metricsVersion: record.version });
  }
  const summary = summaryOf(record);
  const value = JSON.stringify(summary);
  const entries = subscriptionIndexKeys(summary).map((key) => ({ key, value, metadata: summary }));
  return writeKeys(env.BILLIFY_KV, query, record.version, entries, nowMs);
}
