import type { Invoice, Payment } from "../contract/invoice";
import { formatAmount, formatDate } from "../notifications/email/format";

// One invoice as the customer reads it, laid out once for both its hosted page and its PDF,
// so the two can never show different things. Built from the invoice's JSON: fields that other
// features add to lines and totals (discounts, tax, usage) appear when the JSON has them.

export interface Seller {
  name: string;
  logoUrl: string | null;
  accentColor: string;
}

export interface BilledTo {
  name: string | null;
  email: string | null;
}

/** A label and a formatted amount. */
export type Row = [label: string, amount: string];

export interface DocumentLine {
  description: string;
  /** "Qty 3 · April 1, 2026 – May 1, 2026", usage quantity when there is one. */
  detail: string;
  amount: string;
  /** Its discounts and taxes, one row each. */
  adjustments: Row[];
}

export interface InvoiceDocument {
  title: string;
  number: string;
  status: string;
  seller: Seller;
  billedTo: BilledTo;
  facts: Row[];
  lines: DocumentLine[];
  totals: Row[];
  /** The amount the customer still owes, formatted; null when nothing is owed. */
  amountRemaining: string | null;
  payments: { date: string; method: string; amount: string; status: string; note: string }[];
  /** For the PDF's file name: `invoice-<number>.pdf`. */
  fileName: string;
}

const STATUS_LABEL: Record<string, string> = {
  draft: "Draft",
  open: "Open",
  paid: "Paid",
  void: "Void",
  uncollectible: "Uncollectible",
};

type Loose = Record<string, unknown>;

export function invoiceDocument(
  invoice: Invoice,
  payments: readonly Payment[],
  seller: Seller,
  billedTo: BilledTo,
  planName: string,
): InvoiceDocument {
  const money = (minor: number) => formatAmount(minor, invoice.currency);
  const number = invoice.number ?? "Draft";
  const facts: Row[] = [
    ["Invoice number", number],
    ["Status", STATUS_LABEL[invoice.status] ?? invoice.status],
    ["Plan", planName],
    ["Period", `${formatDate(invoice.period_start)} – ${formatDate(invoice.period_end)}`],
  ];
  if (invoice.finalized_at) facts.push(["Issued", formatDate(invoice.finalized_at)]);
  if (invoice.paid_at) facts.push(["Paid", formatDate(invoice.paid_at)]);
  if (invoice.voided_at) facts.push(["Voided", formatDate(invoice.voided_at)]);
  if (invoice.status === "open" && invoice.next_payment_attempt)
    facts.push(["Next attempt", formatDate(invoice.next_payment_attempt)]);

  const lines = invoice.lines.map((line): DocumentLine => {
    const loose = line as unknown as Loose;
    const detail = [`Qty ${line.quantity}`];
    if (typeof loose.usage_quantity === "string") detail.push(`usage ${loose.usage_quantity}`);
    if (line.period_start !== line.period_end)
      detail.push(`${formatDate(line.period_start)} – ${formatDate(line.period_end)}`);
    return {
      description: line.description,
      detail: detail.join(" · "),
      amount: money(line.amount),
      adjustments: [...discountRows(loose.discount_amounts, money), ...taxRows(loose.tax_amounts, money)],
    };
  });

  const loose = invoice as unknown as Loose;
  const totals: Row[] = [["Subtotal", money(invoice.subtotal)]];
  totals.push(...discountRows(loose.total_discount_amounts, money));
  totals.push(...taxRows(loose.total_tax_amounts, money));
  totals.push(["Total", money(invoice.total)]);
  if (invoice.credit_applied !== 0) totals.push(["Credit applied", money(-invoice.credit_applied)]);
  totals.push(["Amount due", money(invoice.amount_due)]);
  totals.push(["Amount paid", money(invoice.amount_paid)]);
  totals.push(["Amount remaining", money(invoice.amount_remaining)]);

  return {
    title: `Invoice ${number} from ${seller.name}`,
    number,
    status: invoice.status,
    seller,
    billedTo,
    facts,
    lines,
    totals,
    amountRemaining: invoice.amount_remaining > 0 ? money(invoice.amount_remaining) : null,
    payments: payments.map((p) => ({
      date: formatDate(p.created),
      method: p.method === "manual" ? `Manual${p.reference ? ` (${p.reference})` : ""}` : "Card",
      amount: money(p.amount),
      status: p.status,
      note: p.failure_message ?? "",
    })),
    fileName: `invoice-${number.replace(/[^A-Za-z0-9_-]/g, "_")}.pdf`,
  };
}

/** `discount_amounts` / `total_discount_amounts`: `[{coupon, amount}]`, shown as reductions. */
function discountRows(value: unknown, money: (minor: number) => string): Row[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((d): d is Loose => typeof d === "object" && d !== null && typeof (d as Loose).amount === "number")
    .filter((d) => d.amount !== 0)
    .map((d) => [`Discount${typeof d.coupon === "string" ? ` (${d.coupon})` : ""}`, money(-(d.amount as number))]);
}

/** `tax_amounts` / `total_tax_amounts`: `[{tax_rate, inclusive, amount}]`; inclusive tax is already in the amount. */
function taxRows(value: unknown, money: (minor: number) => string): Row[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((t): t is Loose => typeof t === "object" && t !== null && typeof (t as Loose).amount === "number")
    .map((t) => {
      const rate = typeof t.tax_rate === "string" ? ` (${t.tax_rate})` : "";
      return [`Tax${rate}${t.inclusive === true ? ", included" : ""}`, money(t.amount as number)];
    });
}
