import type { EventEnvelope, PlanSummary } from "../../contract/messages";
import { formatAmount, formatDate } from "./format";

/** The parts of an invoice an email shows (the event's `data.object`). */
interface InvoiceData {
  id?: string;
  number?: string | null;
  status?: string;
  /** The customer's page and PDF (API §11); absent on a preview, null on a draft. */
  hosted_invoice_url?: string | null;
  invoice_pdf?: string | null;
  currency: string;
  lines: { description: string; amount: number }[];
  subtotal: number;
  /** Absent on events recorded before discounts and tax existed. */
  total_discount_amounts?: { coupon: string; amount: number }[];
  total_tax_amounts?: { tax_rate: string; inclusive: boolean; amount: number; display_name?: string | null }[];
  total: number;
  credit_applied: number;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  next_payment_attempt: string | null;
  period_start: string;
  period_end: string;
  created?: string;
}

interface SubscriptionData {
  id: string;
  status: string;
  trial_end: string | null;
  current_period_end: string;
  ended_at: string | null;
}

interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface EmailContext {
  event: EventEnvelope;
  plan: PlanSummary | null;
  customerName: string | null;
}

/**
 * docs/billing-rules.md, Events: the events a customer is told about. `invoice.upcoming` only for plans billed by
 * the year (the renewal reminder auto-renewal laws ask for); `invoice.finalized` only when
 * something is owed.
 */
export function wantsEmail(event: EventEnvelope, plan: PlanSummary | null): boolean {
  const object = event.data.object;
  switch (event.type) {
    case "invoice.finalized":
      // An invoice voided or marked uncollectible as it was finalized (a paused collection) asks for nothing.
      return (
        typeof object.amount_due === "number" &&
        object.amount_due > 0 &&
        object.status !== "void" &&
        object.status !== "uncollectible"
      );
    case "invoice.paid":
    case "invoice.payment_failed":
    case "subscription.trial_will_end":
    case "subscription.canceled":
      return true;
    case "invoice.upcoming":
      return plan?.interval === "year";
    default:
      return false;
  }
}

/** The email for an event, or null for an event that sends none. */
export function renderEmail({ event, plan, customerName }: EmailContext): RenderedEmail | null {
  if (!wantsEmail(event, plan)) return null;
  const greeting = customerName ? `Hello ${customerName},` : "Hello,";
  const planName = plan?.name ?? "your plan";
  switch (event.type) {
    case "invoice.finalized": {
      const invoice = event.data.object as unknown as InvoiceData;
      const due = formatAmount(invoice.amount_due, invoice.currency);
      return compose(
        `Your invoice ${invoice.number ?? ""} for ${due}`.replace("  ", " "),
        greeting,
        [
          `Your invoice ${invoice.number ?? ""} for ${planName} is ready. ${due} is due now and will be charged to your payment method on file.`,
        ],
        invoice,
      );
    }
    case "invoice.paid": {
      const invoice = event.data.object as unknown as InvoiceData;
      const paid = formatAmount(invoice.amount_paid, invoice.currency);
      return compose(
        `Receipt for invoice ${invoice.number ?? ""}: ${paid} paid`,
        greeting,
        [`Thank you: invoice ${invoice.number ?? ""} for ${planName} is paid (${paid}).`],
        invoice,
      );
    }
    case "invoice.payment_failed": {
      const invoice = event.data.object as unknown as InvoiceData;
      const owed = formatAmount(invoice.amount_remaining, invoice.currency);
      const next = invoice.next_payment_attempt
        ? `We will try again on ${formatDate(invoice.next_payment_attempt)}. To avoid an interruption, update your payment method before then.`
        : "We will not retry automatically. Please update your payment method to pay this invoice.";
      return compose(
        `Payment failed for invoice ${invoice.number ?? ""} (${owed})`,
        greeting,
        [`We could not collect ${owed} for invoice ${invoice.number ?? ""} (${planName}).`, next],
        invoice,
      );
    }
    case "invoice.upcoming": {
      const invoice = event.data.object as unknown as InvoiceData;
      const due = formatAmount(invoice.amount_due, invoice.currency);
      const on = formatDate(invoice.period_start);
      return compose(
        `Your ${planName} subscription renews on ${on}`,
        greeting,
        [
          `Your ${planName} subscription renews automatically on ${on}, and ${due} will be charged to your payment method on file.`,
          "If you do not want it to renew, cancel before that date.",
        ],
        invoice,
      );
    }
    case "subscription.trial_will_end": {
      const sub = event.data.object as unknown as SubscriptionData;
      const price = plan
        ? ` Your subscription then continues at ${formatAmount(plan.amount, plan.currency)} per ${cadenceOf(plan)}.`
        : "";
      return compose(
        `Your trial of ${planName} ends on ${formatDate(sub.trial_end ?? sub.current_period_end)}`,
        greeting,
        [`Your free trial of ${planName} ends on ${formatDate(sub.trial_end ?? sub.current_period_end)}.${price}`],
        null,
      );
    }
    case "subscription.canceled": {
      const sub = event.data.object as unknown as SubscriptionData;
      const ended = sub.ended_at ? ` on ${formatDate(sub.ended_at)}` : "";
      return compose(
        `Your ${planName} subscription has ended`,
        greeting,
        [`Your ${planName} subscription was canceled${ended}.`],
        null,
      );
    }
    default:
      return null;
  }
}

function cadenceOf(plan: PlanSummary): string {
  return plan.interval_count === 1 ? plan.interval : `${plan.interval_count} ${plan.interval}s`;
}

function compose(subject: string, greeting: string, paragraphs: string[], invoice: InvoiceData | null): RenderedEmail {
  const table = invoice ? invoiceTable(invoice) : null;
  const links = invoice ? invoiceLinks(invoice) : null;
  const text = [
    greeting,
    "",
    ...paragraphs.flatMap((p) => [p, ""]),
    ...(table ? [table.text, ""] : []),
    ...(links ? [links.text, ""] : []),
    "— Billify",
  ].join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;padding:24px 0;">
<tr><td align="center">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;background:#ffffff;border-radius:8px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933;font-size:15px;line-height:1.5;">
<tr><td style="padding:28px 32px 8px;"><p style="margin:0 0 16px;">${escapeHtml(greeting)}</p>
${paragraphs.map((p) => `<p style="margin:0 0 16px;">${escapeHtml(p)}</p>`).join("\n")}
</td></tr>
${table ? `<tr><td style="padding:0 32px 8px;">${table.html}</td></tr>` : ""}
${links ? `<tr><td style="padding:8px 32px;">${links.html}</td></tr>` : ""}
<tr><td style="padding:16px 32px 28px;color:#7b8794;font-size:13px;">Billify</td></tr>
</table>
</td></tr>
</table>
</body></html>`;
  return { subject: subject.replace(/\s+/g, " ").trim(), text, html };
}

/** Links to the invoice's page (to see and pay it) and its PDF, when it has them. */
function invoiceLinks(invoice: InvoiceData): { text: string; html: string } | null {
  const page = invoice.hosted_invoice_url;
  const pdf = invoice.invoice_pdf;
  if (!page || !pdf) return null;
  return {
    text: `View or pay this invoice: ${page}\nDownload it as a PDF: ${pdf}`,
    html: `<p style="margin:0;"><a href="${escapeHtml(page)}" style="color:#4f46e5;">View or pay this invoice</a> · <a href="${escapeHtml(pdf)}" style="color:#4f46e5;">Download the PDF</a></p>`,
  };
}

/** The invoice's lines, then subtotal, credit and amount due, in text and as an HTML table. */
function invoiceTable(invoice: InvoiceData): { text: string; html: string } {
  const money = (minor: number) => formatAmount(minor, invoice.currency);
  // A line's description already says what it is for: "3 × Team (2026-03-10 – 2026-04-10)",
  // "Unused time on Basic after 2026-02-24".
  const rows: [string, string][] = invoice.lines.map((line) => [line.description, money(line.amount)]);
  const totals: [string, string][] = [["Subtotal", money(invoice.subtotal)]];
  // Rule 13d: each coupon's discount; rule 16: each rate's tax (an inclusive one is already inside).
  for (const d of invoice.total_discount_amounts ?? []) totals.push([`Discount (${d.coupon})`, money(-d.amount)]);
  for (const t of invoice.total_tax_amounts ?? [])
    totals.push([t.display_name ?? `Tax ${t.tax_rate}${t.inclusive ? " (included)" : ""}`, money(t.amount)]);
  if ((invoice.total_discount_amounts ?? []).length > 0 || (invoice.total_tax_amounts ?? []).length > 0)
    totals.push(["Total", money(invoice.total)]);
  if (invoice.credit_applied > 0) totals.push(["Credit applied", money(-invoice.credit_applied)]);
  totals.push(["Amount due", money(invoice.amount_due)]);
  if (invoice.amount_paid > 0) totals.push(["Amount paid", money(invoice.amount_paid)]);
  const header = `Invoice ${invoice.number ?? "(upcoming)"} — period ${formatDate(invoice.period_start)} to ${formatDate(invoice.period_end)}`;
  const width = Math.max(...[...rows, ...totals].map(([, amount]) => amount.length));
  const text = [
    header,
    ...rows.map(([d, a]) => `  ${d}  ${a.padStart(width)}`),
    ...totals.map(([d, a]) => `  ${d}: ${a}`),
  ].join("\n");
  const cell = "padding:8px 0;border-bottom:1px solid #e4e7eb;";
  const html = `<p style="margin:0 0 8px;font-weight:600;">${escapeHtml(header)}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;font-size:14px;">
${rows.map(([d, a]) => `<tr><td style="${cell}">${escapeHtml(d)}</td><td align="right" style="${cell}white-space:nowrap;">${escapeHtml(a)}</td></tr>`).join("\n")}
${totals.map(([d, a], i) => `<tr><td style="padding:6px 0;${i === totals.length - 1 ? "" : "color:#52606d;"}">${escapeHtml(d)}</td><td align="right" style="padding:6px 0;white-space:nowrap;${d === "Amount due" ? "font-weight:600;" : ""}">${escapeHtml(a)}</td></tr>`).join("\n")}
</table>`;
  return { text, html };
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
