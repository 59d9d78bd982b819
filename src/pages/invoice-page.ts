import { html } from "hono/html";
import type { InvoiceDocument } from "./invoice-document";
import { shell } from "./shell";

// The hosted invoice page (API §11): the invoice as its JSON shows it, its payments, a link to
// the PDF, and for an open invoice a form that pays it (no script: a plain same-origin POST).

/** The §5 test cards the page offers in test mode, besides the card on file. */
export const TEST_CARDS: readonly { token: string; label: string }[] = [
  { token: "pm_card_visa", label: "Visa (succeeds)" },
  { token: "pm_card_chargeDeclined", label: "Declined card" },
  { token: "pm_card_chargeDeclinedInsufficientFunds", label: "Insufficient funds" },
];

export interface InvoicePageOptions {
  /** The page's own path (`/i/<invoice>/<token>`); the PDF and the pay form hang off it. */
  path: string;
  nonce: string;
  /** Bound to the page token (page-tokens.ts); the pay form posts it back. */
  csrf: string;
  testMode: boolean;
  /** The customer's card on file, as its token says (shown, never charged without a click). */
  savedMethod: string | null;
  notice: { kind: "ok" | "error"; text: string } | null;
}

export function renderInvoicePage(doc: InvoiceDocument, options: InvoicePageOptions) {
  const { path, nonce, notice } = options;
  const body = html`
${notice ? html`<div class="notice ${notice.kind === "error" ? "error" : ""}" role="status" data-testid="notice">${notice.text}</div>` : ""}
<section>
  <h1>Invoice ${doc.number} <span class="badge ${doc.status}" data-testid="status">${doc.status}</span></h1>
  <p class="muted">From ${doc.seller.name} to ${doc.billedTo.name ?? doc.billedTo.email ?? "you"}${doc.billedTo.name && doc.billedTo.email ? html` &lt;${doc.billedTo.email}&gt;` : ""}</p>
  ${doc.amountRemaining ? html`<p><strong data-testid="amount-remaining">${doc.amountRemaining}</strong> due</p>` : ""}
  <dl class="facts">${doc.facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
</section>
${payForm(doc, options)}
<section>
  <h2>Lines</h2>
  <table data-testid="lines">
    <thead><tr><th>Description</th><th class="amount">Amount</th></tr></thead>
    <tbody>
    ${doc.lines.map(
      (
        line,
      ) => html`<tr data-testid="line"><td>${line.description}<div class="detail">${line.detail}</div></td><td class="amount">${line.amount}</td></tr>
    ${line.adjustments.map(([k, v]) => html`<tr class="adjustment"><td>${k}</td><td class="amount">${v}</td></tr>`)}`,
    )}
    </tbody>
  </table>
  <table data-testid="totals">
    ${doc.totals.map(([k, v]) => html`<tr class="${k === "Total" || k === "Amount remaining" ? "total" : ""}"><td>${k}</td><td class="amount">${v}</td></tr>`)}
  </table>
</section>
<section>
  <h2>Payments</h2>
  ${
    doc.payments.length === 0
      ? html`<p class="muted">No payment yet.</p>`
      : html`<table data-testid="payments"><thead><tr><th>Date</th><th>Method</th><th>Status</th><th class="amount">Amount</th></tr></thead><tbody>
    ${doc.payments.map(
      (p) =>
        html`<tr data-testid="payment"><td>${p.date}</td><td>${p.method}${p.note ? html`<div class="detail">${p.note}</div>` : ""}</td><td><span class="badge ${p.status}">${p.status}</span></td><td class="amount">${p.amount}</td></tr>`,
    )}</tbody></table>`
  }
</section>
<section class="actions">
  <a class="button secondary" href="${path}/pdf" data-testid="download-pdf" download>Download PDF</a>
</section>`;
  return shell(doc.title, doc.seller, nonce, body);
}

function payForm(doc: InvoiceDocument, options: InvoicePageOptions) {
  if (doc.status !== "open" || doc.amountRemaining === null) return "";
  const saved = options.savedMethod;
  return html`<section>
  <h2>Pay this invoice</h2>
  <form method="post" action="${options.path}/pay" data-testid="pay-form">
    <input type="hidden" name="csrf" value="${options.csrf}">
    ${
      options.testMode
        ? html`<label for="payment_method">Payment method (test mode)</label>
    <select id="payment_method" name="payment_method">
      ${saved ? html`<option value="">Card on file (${saved})</option>` : ""}
      ${TEST_CARDS.map((card) => html`<option value="${card.token}">${card.label}: ${card.token}</option>`)}
    </select>`
        : html`<p class="muted">${saved ? "Your card on file will be charged." : "There is no card on file: ask the seller for a payment link."}</p>`
    }
    <button type="submit" data-testid="pay">Pay ${doc.amountRemaining}</button>
  </form>
</section>`;
}
