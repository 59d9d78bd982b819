import { html } from "hono/html";
import type { Invoice } from "../contract/invoice";
import type { Plan } from "../contract/plan";
import type { ChangePreview, Subscription } from "../contract/subscription";
import { formatAmount, formatDate } from "../notifications/email/format";
import type { Seller } from "./invoice-document";
import { TEST_CARDS } from "./invoice-page";
import { shell } from "./shell";

// The customer portal (API §11): the customer's subscriptions and invoices, cancel at period end
// or resume, a plan change shown as its preview first, and a new payment method. Plain forms,
// no script; every form carries the session's CSRF token.

export interface PortalView {
  seller: Seller;
  nonce: string;
  csrf: string;
  testMode: boolean;
  returnUrl: string | null;
  customer: { name: string | null; email: string | null; payment_method: string | null };
  subscriptions: { subscription: Subscription; plan: Plan | null; options: Plan[] }[];
  invoices: Invoice[];
  notice: string | null;
}

const price = (plan: Plan) =>
  `${formatAmount(plan.amount, plan.currency)} / ${plan.interval_count === 1 ? plan.interval : `${plan.interval_count} ${plan.interval}s`}`;

const ENDED = new Set(["canceled", "incomplete_expired"]);

export function renderPortal(v: PortalView) {
  const hidden = html`<input type="hidden" name="csrf" value="${v.csrf}">`;
  const body = html`
${v.notice ? html`<div class="notice" role="status" data-testid="notice">${v.notice}</div>` : ""}
<section>
  <h1>Your billing</h1>
  <p class="muted">${v.customer.name ?? ""}${v.customer.name && v.customer.email ? " · " : ""}${v.customer.email ?? ""}</p>
  <div class="actions">
    ${v.returnUrl ? html`<a class="button secondary" href="${v.returnUrl}" data-testid="return">Return to ${v.seller.name}</a>` : ""}
    <form method="post" action="/portal/sign_out" class="inline">${hidden}<button class="secondary" type="submit">Sign out</button></form>
  </div>
</section>
<section>
  <h2>Subscriptions</h2>
  ${v.subscriptions.length === 0 ? html`<p class="muted">No subscription.</p>` : ""}
  ${v.subscriptions.map(({ subscription: s, plan, options }) => {
    const ended = ENDED.has(s.status);
    return html`<div class="subscription" data-testid="subscription" data-id="${s.id}">
    <p><strong>${plan?.name ?? s.plan}</strong> <span class="badge ${s.status}" data-testid="subscription-status">${s.status}</span>
      ${plan ? html`<span class="muted">${price(plan)}${s.quantity > 1 ? ` × ${s.quantity}` : ""}</span>` : ""}</p>
    <p class="muted" data-testid="renewal">${
      ended
        ? `Ended ${s.ended_at ? formatDate(s.ended_at) : ""}`
        : s.cancel_at_period_end
          ? `Cancels on ${formatDate(s.current_period_end)}`
          : `Renews on ${formatDate(s.current_period_end)}`
    }${s.pause_collection ? " · payment collection paused" : ""}</p>
    ${
      ended
        ? ""
        : html`<div class="actions">
      ${
        s.cancel_at_period_end
          ? html`<form method="post" action="/portal/subscriptions/${s.id}/resume" class="inline">${hidden}<button type="submit" data-testid="resume">Keep my subscription</button></form>`
          : html`<form method="post" action="/portal/subscriptions/${s.id}/cancel" class="inline">${hidden}<button class="secondary" type="submit" data-testid="cancel">Cancel at period end</button></form>`
      }
      ${
        options.length > 0
          ? html`<form method="get" action="/portal/subscriptions/${s.id}/change" class="inline">
        <select name="plan" aria-label="Change plan" data-testid="plan-select">${options.map((p) => html`<option value="${p.id}">${p.name} (${price(p)})</option>`)}</select>
        <button class="secondary" type="submit" data-testid="preview">Preview the change</button></form>`
          : ""
      }
    </div>`
    }
    </div>`;
  })}
</section>
<section>
  <h2>Payment method</h2>
  <p data-testid="payment-method">${v.customer.payment_method ? `Card on file: ${v.customer.payment_method}` : "No card on file."}</p>
  ${
    v.testMode
      ? html`<form method="post" action="/portal/payment_method">${hidden}
    <label for="payment_method">Replace it with a test card (test mode)</label>
    <select id="payment_method" name="payment_method" data-testid="card-select">${TEST_CARDS.map((c) => html`<option value="${c.token}">${c.label}: ${c.token}</option>`)}</select>
    <button type="submit" data-testid="replace-card">Replace payment method</button></form>`
      : html`<p class="muted">To change your card, contact ${v.seller.name}.</p>`
  }
</section>
<section>
  <h2>Invoices</h2>
  ${
    v.invoices.length === 0
      ? html`<p class="muted">No invoice yet.</p>`
      : html`<table data-testid="invoices"><thead><tr><th>Invoice</th><th>Date</th><th>Status</th><th class="amount">Total</th></tr></thead><tbody>
    ${v.invoices.map(
      (i) =>
        html`<tr data-testid="invoice"><td>${
          i.hosted_invoice_url
            ? html`<a href="${new URL(i.hosted_invoice_url).pathname}">${i.number}</a>`
            : (i.number ?? "Draft")
        }</td><td>${formatDate(i.created)}</td><td><span class="badge ${i.status}">${i.status}</span></td><td class="amount">${formatAmount(i.total, i.currency)}</td></tr>`,
    )}</tbody></table>`
  }
</section>`;
  return shell(`Billing · ${v.seller.name}`, v.seller, v.nonce, body);
}

export interface ChangePreviewView {
  seller: Seller;
  nonce: string;
  csrf: string;
  subscription: Subscription;
  from: Plan | null;
  to: Plan;
  preview: ChangePreview;
}

/** What a plan change would make, and the button that makes it. */
export function renderChangePreview(v: ChangePreviewView) {
  const money = (minor: number) => formatAmount(minor, v.preview.currency);
  const body = html`<section>
  <h1>Change to ${v.to.name}</h1>
  <p class="muted">From ${v.from?.name ?? v.subscription.plan} to ${v.to.name} (${price(v.to)}).</p>
  <table data-testid="preview-lines"><thead><tr><th>Line</th><th class="amount">Amount</th></tr></thead><tbody>
  ${v.preview.lines.map((l) => html`<tr data-testid="preview-line"><td>${l.description}</td><td class="amount">${money(l.amount)}</td></tr>`)}
  <tr class="total"><td>Total</td><td class="amount" data-testid="preview-total">${money(v.preview.total)}</td></tr>
  </tbody></table>
  <p class="muted">${v.preview.invoiced_now ? "This is invoiced and charged now." : "This is added to your next invoice."}</p>
  <div class="actions">
    <form method="post" action="/portal/subscriptions/${v.subscription.id}/change" class="inline">
      <input type="hidden" name="csrf" value="${v.csrf}"><input type="hidden" name="plan" value="${v.to.id}">
      <button type="submit" data-testid="confirm-change">Confirm the change</button>
    </form>
    <a class="button secondary" href="/portal">Back</a>
  </div>
</section>`;
  return shell(`Change plan · ${v.seller.name}`, v.seller, v.nonce, body);
}
