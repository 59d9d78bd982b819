import { ulid } from "ulid";
import type { PricedLine } from "../../../domain/pricing";
import type { Query } from "../../../lib/sql";
import type { LineRow } from "./lines";
import { LINE_COLUMNS, lineValues, listOrNull } from "./lines";

/** `invoice_line`: an issued invoice's lines, in their order. Written once, with the invoice. */
export class InvoiceLineTable {
  constructor(private readonly query: Query) {}

  insert(invoiceId: string, lines: readonly PricedLine[]): void {
    lines.forEach((line, position) => {
      this.query(
        `INSERT INTO invoice_line (id, invoice_id, position, ${LINE_COLUMNS}, discounts, taxes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        `il_${ulid()}`,
        invoiceId,
        position,
        ...lineValues(line),
        listOrNull(line.discounts),
        listOrNull(line.taxes),
      );
    });
  }

  of(invoiceId: string): LineRow[] {
    return this.query<LineRow>("SELECT * FROM invoice_line WHERE invoice_id = ? ORDER BY position", invoiceId);
  }
}
