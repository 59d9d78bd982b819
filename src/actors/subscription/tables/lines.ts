import type { DraftLine } from "../../../domain/proration";
import type { SqlValue } from "../../../lib/sql";

/** A stored line: an invoice's (`invoice_line`) or one pending for the next invoice (`pending_line`). */
export interface LineRow {
  id: string;
  type: DraftLine["type"];
  description: string;
  amount: number;
  quantity: number;
  plan: string | null;
  period_start: number;
  period_end: number;
  /** A usage line's LineUsage as JSON; null on other lines. */
  usage: string | null;
}

/** The columns both line tables share, in the order of `lineValues`. */
export const LINE_COLUMNS = "type, description, amount, quantity, plan, period_start, period_end, usage";

export function lineValues(line: DraftLine): SqlValue[] {
  return [
    line.type,
    line.description,
    line.amount,
    line.quantity,
    line.plan,
    line.periodStart,
    line.periodEnd,
    line.usage ? JSON.stringify(line.usage) : null,
  ];
}

export function lineRowOf(id: string, line: DraftLine): LineRow {
  return {
    id,
    type: line.type,
    description: line.description,
    amount: line.amount,
    quantity: line.quantity,
    plan: line.plan,
    period_start: line.periodStart,
    period_end: line.periodEnd,
    usage: line.usage ? JSON.stringify(line.usage) : null,
  };
}

export function draftLineOf(row: LineRow): DraftLine {
  return {
    type: row.type,
    description: row.description,
    amount: row.amount,
    quantity: row.quantity,
    plan: row.plan,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    ...(row.usage ? { usage: JSON.parse(row.usage) as DraftLine["usage"] } : {}),
  };
}
