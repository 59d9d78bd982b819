import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Seller } from "./invoice-document";

// The frame of every page a customer opens (invoice page, portal): no script at all, one
// stylesheet allowed by a per-response nonce, forms that post only to this origin, and never
// framed by another site. A page holds no API key: everything it does goes through a token.

/** A fresh nonce for one response's stylesheet. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/** The Content-Security-Policy of a customer page. */
export function pagePolicy(nonce: string, seller: Seller): string {
  const logo = seller.logoUrl ? ` ${new URL(seller.logoUrl).origin}` : "";
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `img-src 'self' data:${logo}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Headers for a customer page: its policy, no caching (it shows live state), no referrer (the URL is a secret). */
export function pageHeaders(nonce: string, seller: Seller): Record<string, string> {
  return {
    "Content-Security-Policy": pagePolicy(nonce, seller),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
  };
}

export function shell(
  title: string,
  seller: Seller,
  nonce: string,
  body: HtmlEscapedString | Promise<HtmlEscapedString>,
) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${title}</title>
<style nonce="${nonce}">${STYLE.replaceAll("--accent-value", seller.accentColor)}</style>
</head>
<body>
<header class="seller">${seller.logoUrl ? html`<img src="${seller.logoUrl}" alt="" class="logo">` : ""}<span>${seller.name}</span></header>
<main>${body}</main>
<footer>Billing by ${seller.name}</footer>
</body>
</html>`;
}

const STYLE = `
:root { --accent: --accent-value; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933; background: #f4f5f7; }
header.seller { display: flex; align-items: center; gap: 10px; padding: 16px 20px; background: #fff; border-top: 4px solid var(--accent); font-weight: 600; font-size: 17px; }
header.seller .logo { height: 32px; width: auto; }
main { max-width: 760px; margin: 20px auto; padding: 0 12px; }
section { background: #fff; border-radius: 10px; padding: 18px 20px; margin-bottom: 14px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 10px; }
.muted { color: #616e7c; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; background: #e4e7eb; }
.badge.paid { background: #d1fae5; color: #065f46; } .badge.open { background: #fef3c7; color: #92400e; }
.badge.void, .badge.uncollectible, .badge.failed { background: #fee2e2; color: #991b1b; }
.badge.succeeded, .badge.active, .badge.trialing { background: #d1fae5; color: #065f46; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: #616e7c; } dl.facts dd { margin: 0; }
table { width: 100%; border-collapse: collapse; }
td, th { padding: 8px 0; text-align: left; vertical-align: top; border-bottom: 1px solid #e4e7eb; }
th { font-size: 13px; color: #616e7c; font-weight: 600; }
td.amount, th.amount { text-align: right; white-space: nowrap; padding-left: 12px; }
tr.adjustment td { border-bottom: none; padding: 0 0 6px 14px; font-size: 13px; color: #52606d; }
tr.total td { font-weight: 600; }
.detail { font-size: 13px; color: #616e7c; }
form.inline { display: inline-flex; flex-wrap: wrap; gap: 8px; align-items: center; }
form.inline select { width: auto; max-width: 100%; margin: 0; }
label { display: block; font-size: 13px; color: #52606d; margin-bottom: 4px; }
select, input[type=text] { width: 100%; padding: 9px; border: 1px solid #cbd2d9; border-radius: 8px; font: inherit; margin-bottom: 10px; background: #fff; }
button, a.button { display: inline-block; border: 0; border-radius: 8px; padding: 10px 18px; font: inherit; font-weight: 600; color: #fff; background: var(--accent); cursor: pointer; text-decoration: none; }
button.secondary, a.button.secondary { background: #e4e7eb; color: #1f2933; }
.notice { padding: 10px 14px; border-radius: 8px; background: #eef2ff; margin-bottom: 14px; }
.notice.error { background: #fee2e2; color: #991b1b; }
.actions { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
footer { text-align: center; color: #9aa5b1; font-size: 13px; margin: 24px 0; }
@media (max-width: 520px) { main { margin: 10px auto; } section { padding: 14px; } h1 { font-size: 19px; } }
`;
