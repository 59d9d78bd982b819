import { METRICS_SHARDS } from "../../admin/metrics/contribution";
import type { Metrics } from "../../contract/admin";
import { SubscriptionStatus } from "../../contract/subscription";
import type { Env } from "../env";

/** Sums the running totals of every shard: METRICS_SHARDS small reads, whatever the size. */
export async function readMetrics(env: Env): Promise<Metrics> {
  const shards = await Promise.all(
    Array.from({ length: METRICS_SHARDS }, (_, i) => env.METRICS.getByName(`shard-${i}`).totals()),
  );
  const counts = Object.fromEntries(SubscriptionStatus.options.map((s) => [s, 0])) as Metrics["counts"];
  const mrr: Record<string, number> = {};
  let subscriptions = 0;
  for (const shard of shards) {
    for (const [currency, value] of Object.entries(shard.mrr)) mrr[currency] = (mrr[currency] ?? 0) + value;
    for (const [status, value] of Object.entries(shard.counts)) {
      counts[status as keyof typeof counts] = (counts[status as keyof typeof counts] ?? 0) + value;
      subscriptions += value;
    }
  }
  for (const currency of Object.keys(mrr)) if (mrr[currency] === 0) delete mrr[currency];
  return { object: "metrics", mrr: Object.fromEntries(Object.entries(mrr).sort()), counts, subscriptions };
}
