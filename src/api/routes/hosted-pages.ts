import type { Context } from "hono";
import { Hono } from "hono";
import { html } from "hono/html";
import type { Config } from "../../actors/config";
import { loadConfig } from "../../actors/config";
import { customerStub, invoiceStub } from "../../actors/stubs";
import type { Invoice } from "../../contract/invoice";
import { modeOf } from "../../lib/env";
import type { InvoiceDocument } from "../../pages/invoice-document";
import { invoiceDocument } from "../../pages/invoice-document";
import { renderInvoicePage, TEST_CARDS } from "../../pages/invoice-page";
import { renderInvoicePdf } from "../../pages/invoice-pdf";
import { newNonce, pageHeaders, shell } from "../../pages/shell";
import type { AppEnv } from "../context";
import { blockedFor, clientOf, csrfToken, recordFailure, sameOriginPost, sameSecret } from "../page-guard";

// The hosted invoice page and PDF (API §11), opened by the invoice's page token alone: no API
// key, nothing of any other invoice. GET shows, POST …/pay pays (same origin, CSRF token).

const TOKEN = /^[0-9a-f]{32}$/;

export function hostedPageRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/i/:invoice/:token", async (c) => {
    const found = await openInvoice(c);
    if (found instanceof Response) return found;
    const { doc, customer, token, config } = found;
    const nonce = newNonce();
    const path = `/i/${c.req.param("invoice")}/${token}`;
    const page = renderInvoicePage(doc, {
      path,
      nonce,
      csrf: await csrfToken("pay", token),
      testMode: modeOf(c.env) === "test",
      savedMethod: customer.payment_method,
      notice: noticeOf(c.req.query("paid"), c.req.query("failed")),
    });
    return c.html(await page, 200, pageHeaders(nonce, config.seller));
  });

  app.get("/i/:invoice/:token/pdf", async (c) => {
    const found = await openInvoice(c);
    if (found instanceof Response) return found;
    const bytes = await renderInvoicePdf(found.doc, new Date(found.invoice.created));
    return new Response(bytes, {
      headers: {
        "Content-Type": "application/pdf",
        "Content-Disposition": `attachment; filename="${found.doc.fileName}"`,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  });

  app.post("/i/:invoice/:token/pay", async (c) => {
    if (!sameOriginPost(c.req.raw)) return refusal(c, 403, "This form can only be sent from its own page.");
    const found = await openInvoice(c);
    if (found instanceof Response) return found;
    const form = await c.req.parseBody();
    const { token } = found;
    if (typeof form.csrf !== "string" || !(await sameSecret(form.csrf, await csrfToken("pay", token))))
      return refusal(c, 403, "This form has expired: reload the page and try again.");
    const invoiceId = c.req.param("invoice");
    const path = `/i/${invoiceId}/${token}`;
    const chosen = typeof form.payment_method === "string" ? form.payment_method : "";
    if (chosen !== "") {
      // Test mode only, and only a §5 test card: it becomes the customer's card on file.
      if (modeOf(c.env) !== "test" || !TEST_CARDS.some((card) => card.token === chosen))
        return refusal(c, 400, "Choose one of the offered payment methods.");
      const stub = customerStub(c.env, found.invoice.customer);
      await stub?.update(found.invoice.customer, { payment_method: chosen }, null);
    }
    const stub = invoiceStub(c.env, invoiceId)!;
    // A new card may already have paid it (a new payment method retries open invoices at once):
    // this attempt then answers "not open", and the invoice as it is now decides the notice.
    await stub.payFromPage(invoiceId, token);
    const now = await stub.hostedInvoice(invoiceId, token);
    if (now.ok && now.value.invoice.status === "paid") return c.redirect(`${path}?paid=1`, 303);
    const last = now.ok ? now.value.payments.at(-1) : undefined;
    return c.redirect(`${path}?failed=${encodeURIComponent(last?.failure_code ?? "not_paid")}`, 303);
  });

  return app;
}

interface Opened {
  invoice: Invoice;
  doc: InvoiceDocument;
  customer: { payment_method: string | null };
  token: string;
  config: Config;
}

/** The invoice the path's token opens, or the response to send instead (404, 429). */
async function openInvoice(c: Context<AppEnv>): Promise<Opened | Response> {
  const client = clientOf(c.req.raw);
  const wait = blockedFor(client, Date.now());
  if (wait > 0) return refusal(c, 429, "Too many wrong links from this address: try again in a minute.", wait);
  const invoiceId = c.req.param("invoice") ?? "";
  const token = c.req.param("token") ?? "";
  const stub = TOKEN.test(token) ? invoiceStub(c.env, invoiceId) : null;
  const opened = stub ? await stub.hostedInvoice(invoiceId, token) : null;
  if (!opened?.ok) {
    recordFailure(client, Date.now());
    return refusal(c, 404, "This invoice link is not valid. Ask the seller for a new one.");
  }
  const config = loadConfig(c.env);
  const { invoice, payments, planName } = opened.value;
  const customer = await customerStub(c.env, invoice.customer)?.get(invoice.customer);
  const billedTo = customer?.ok
    ? { name: customer.value.name, email: customer.value.email }
    : { name: null, email: null };
  return {
    invoice,
    doc: invoiceDocument(invoice, payments, config.seller, billedTo, planName),
    customer: { payment_method: customer?.ok ? customer.value.payment_method : null },
    token,
    config,
  };
}

const FAILURES: Record<string, string> = {
  card_declined: "The card was declined.",
  insufficient_funds: "The card has insufficient funds.",
  no_payment_method: "There is no card on file.",
};

function noticeOf(paid: string | undefined, failed: string | undefined) {
  if (paid === "1") return { kind: "ok" as const, text: "Thank you: the payment was received." };
  if (failed !== undefined)
    return { kind: "error" as const, text: `The payment did not go through. ${FAILURES[failed] ?? ""}`.trim() };
  return null;
}

/** A page that says no, with the same headers as every customer page. */
export async function refusal(
  c: Context<AppEnv>,
  status: 400 | 403 | 404 | 410 | 429,
  message: string,
  retryAfter?: number,
) {
  const seller = loadConfig(c.env).seller;
  const nonce = newNonce();
  const body = shell(
    "Billify",
    seller,
    nonce,
    html`<section><h1>Sorry</h1><p data-testid="refusal">${message}</p></section>`,
  );
  const headers: Record<string, string> = pageHeaders(nonce, seller);
  if (retryAfter) headers["Retry-After"] = String(retryAfter);
  return c.html(await body, status, headers);
}
