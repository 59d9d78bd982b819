import { ulid } from "ulid";
import type { DraftLine } from "../../../domain/proration";
import type { Query } from "../../../lib/sql";
import type { LineRow } from "./lines";
import { draftLineOf, LINE_COLUMNS, lineRowOf, lineValues } from "./lines";

/** `pending_line`: lines waiting for the next invoice (invoice items, proration), in the order added. */
export class PendingLineTable {
  constructor(private readonly query: Query) {}

  add(lines: readonly DraftLine[]): LineRow[] {
    // Nothing before the table is made (schema.ts: on demand).
    const seq = this.query<{ n: number }>("SELECT COALESCE(MAX(seq), 0) AS n FROM pending_line")[0]?.n ?? 0;
    return lines.map((line, i) => {
      const id = `il_${ulid()}`;
      this.query(
        `INSERT INTO pending_line (id, seq, ${LINE_COLUMNS}, carried_discount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        seq + i + 1,
        ...lineValues(line),
        line.carriedDiscount ? JSON.stringify(line.carriedDiscount) : null,
      );
      return lineRowOf(id, line);
    });
  }

  all(): DraftLine[] {
    return this.query<LineRow>("SELECT * FROM pending_line ORDER BY seq").map(draftLineOf);
  }

  clear(): void {
    this.query("DELETE FROM pending_line");
  }
}
