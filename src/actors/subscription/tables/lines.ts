import type { LineDiscount } from "../../../domain/discount";
import type { DraftLine } from "../../../domain/proration";
import type { LineTax } from "../../../domain/tax";
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
  /** An invoice line's discounts and taxes as JSON arrays (rules 13, 16); NULL: none. */
  discounts?: string | null;
  taxes?: string | null;
  /** A pending credit's carried discount as JSON (rule 13d); NULL: none. */
  carried_discount?: string | null;
  /** A usage line's LineUsage as JSON; null on other lines. */
  usage?: string | null;
}

const parseOrNull = <T>(text: unknown): T | null => (typeof text === "string" ? (JSON.parse(text) as T) : null);

/** A stored line's discounts and taxes. */
export function lineAdjustments(l: Pick<LineRow, "discounts" | "taxes">) {
  return {
    discounts: parseOrNull<LineDiscount[]>(l.discounts) ?? [],
    taxes: parseOrNull<LineTax[]>(l.taxes) ?? [],
  };
}

/** A line's discounts or taxes: NULL stands for none (most lines have none). */
export function listOrNull(list: readonly unknown[] | undefined): string | null {
  return list === undefined || list.length === 0 ? null : JSON.stringify(list);
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
  const carried = parseOrNull<LineDiscount>(row.carried_discount);
  return {
    ...(carried ? { carriedDiscount: carried } : {}),
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
