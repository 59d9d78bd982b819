import type { JobKind } from "../../../domain/decision";
import type { Instant } from "../../../domain/time";
import type { Query } from "../../../lib/sql";

export interface JobRow {
  kind: JobKind;
  invoice_id: string;
  due_at: number;
}

/** `job`: the subscription's scheduled work, one row per kind (and invoice); the alarm runs the earliest. */
export class JobTable {
  constructor(private readonly query: Query) {}

  schedule(kind: JobKind, dueAt: Instant, invoiceId = ""): void {
    this.query(
      "INSERT INTO job (kind, invoice_id, due_at) VALUES (?, ?, ?) ON CONFLICT(kind, invoice_id) DO UPDATE SET due_at = excluded.due_at",
      kind,
      invoiceId,
      dueAt,
    );
  }

  unschedule(kind: JobKind, invoiceId = ""): void {
    this.query("DELETE FROM job WHERE kind = ? AND invoice_id = ?", kind, invoiceId);
  }

  get(kind: JobKind, invoiceId = ""): JobRow | undefined {
    return this.query<JobRow>("SELECT * FROM job WHERE kind = ? AND invoice_id = ?", kind, invoiceId)[0];
  }

  /** When the one job of `kind` without an invoice is due (the renewal), or null. */
  dueAt(kind: JobKind): number | null {
    return (
      this.query<{ due_at: number }>("SELECT due_at FROM job WHERE kind = ? AND invoice_id = ''", kind)[0]?.due_at ??
      null
    );
  }

  /** The earliest due time among jobs of every other kind, or null. */
  earliestDueExcept(kind: JobKind): number | null {
    return this.query<{ t: number | null }>("SELECT MIN(due_at) AS t FROM job WHERE kind <> ?", kind)[0]?.t ?? null;
  }

  /** The earliest job, due or not. Ties run renewals last so retries at the same second go first. */
  next(): JobRow | undefined {
    return this.query<JobRow>(
      "SELECT * FROM job ORDER BY due_at, CASE kind WHEN 'renew' THEN 1 ELSE 0 END, invoice_id LIMIT 1",
    )[0];
  }
}
