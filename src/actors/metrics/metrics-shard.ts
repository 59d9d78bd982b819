import type { Contribution, MetricsTotals } from "../../admin/metrics/contribution";
import { Actor } from "../actor";

/**
 * One of METRICS_SHARDS aggregate actors. It keeps each of its subscriptions' last
 * contribution with that subscription's version, and running totals (MRR per currency,
 * count per status) that change only by the difference between the stored contribution and
 * a newer one, in one transaction. A redelivered or older contribution changes nothing, so
 * the totals always equal the sum of the stored rows (test/admin/metrics.test.ts recounts).
 */
export class MetricsShard extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE contribution (
         subscription TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL,
         currency TEXT NOT NULL, mrr INTEGER NOT NULL)`,
      `CREATE TABLE total (kind TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (kind, key))`,
    ],
  ];

  /** Applies a subscription's contribution if it is newer than the one stored. */
  async apply(next: Contribution): Promise<{ applied: boolean }> {
    return this.transaction(() => {
      const stored = this.queryOne<Contribution>(
        "SELECT subscription, version, status, currency, mrr FROM contribution WHERE subscription = ?",
        next.subscription,
      );
      if (stored && stored.version >= next.version) return { applied: false };
      if (stored) {
        this.add("mrr", stored.currency, -stored.mrr);
        this.add("count", stored.status, -1);
      }
      this.add("mrr", next.currency, next.mrr);
      this.add("count", next.status, 1);
      this.query(
        `INSERT INTO contribution (subscription, version, status, currency, mrr) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(subscription) DO UPDATE SET version = excluded.version, status = excluded.status,
           currency = excluded.currency, mrr = excluded.mrr`,
        next.subscription,
        next.version,
        next.status,
        next.currency,
        next.mrr,
      );
      return { applied: true };
    });
  }

  private add(kind: "mrr" | "count", key: string, delta: number): void {
    if (delta === 0) return;
    this.query(
      `INSERT INTO total (kind, key, value) VALUES (?, ?, ?)
       ON CONFLICT(kind, key) DO UPDATE SET value = value + excluded.value`,
      kind,
      key,
      delta,
    );
  }

  /** The running totals: one small table, whatever the number of subscriptions. */
  async totals(): Promise<MetricsTotals> {
    const rows = this.query<{ kind: string; key: string; value: number }>("SELECT kind, key, value FROM total");
    const totals: MetricsTotals = { mrr: {}, counts: {} };
    for (const row of rows) {
      if (row.kind === "mrr") totals.mrr[row.key] = row.value;
      else totals.counts[row.key] = row.value;
    }
    return totals;
  }
}
