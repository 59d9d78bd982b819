import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createCustomer, createPlan, invoicesOf, ok, subscribeOnClock } from "../helpers";
import { pdfText } from "./pdf-text";

// The hosted invoice page and PDF (API §11), in the Worker: opened by the page token alone,
// nothing opened by a wrong or another invoice's token, paid from the page with a CSRF-safe form.

/** A request to a customer page, as a browser sends it (no API key). */
async function page(path: string, init: RequestInit & { ip?: string } = {}) {
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", init.ip ?? "203.0.113.7");
  return exports.default.fetch(new Request(`http://localhost:8787${path}`, { ...init, headers, redirect: "manual" }));
}
const pathOf = (url: string) => new URL(url).pathname;

async function openInvoice(paymentMethod = "pm_card_chargeDeclined") {
  const customer = await createCustomer({ name: "Ada <Lovelace>", payment_method: paymentMethod });
  const plan = await createPlan({ amount: 1999, name: "Pro & Co" });
  const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
  const [invoice] = await invoicesOf(sub.id);
  return { customer, plan, sub, invoice };
}

async function csrfOf(html: string): Promise<string> {
  return /name="csrf" value="([0-9a-f]{64})"/.exec(html)![1]!;
}

describe("the hosted invoice page", () => {
  it("shows the invoice, escaped, with a strict policy and no API key, to anyone holding the link", async () => {
    const { invoice } = await openInvoice();
    expect(invoice.status).toBe("open");
    const response = await page(pathOf(invoice.hosted_invoice_url));
    expect(response.status).toBe(200);
    const csp = response.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    const html = await response.text();
    expect(html).toContain(`Invoice ${invoice.number}`);
    expect(html).toContain("Ada &lt;Lovelace&gt;");
    expect(html).not.toContain("Ada <Lovelace>");
    expect(html).toContain("1 × Pro &amp; Co");
    expect(html).toContain("$19.99");
    expect(html).toMatch(/data-testid="payment">.*failed/s);
    expect(html).not.toMatch(/sk_(test|admin)_/);
    expect(html).not.toContain("<script");
    expect(html).toContain('data-testid="pay-form"');
  });

  it("opens nothing with a wrong token, another invoice's token, or a rotated link", async () => {
    const a = (await openInvoice()).invoice;
    const b = (await openInvoice()).invoice;
    const tokenOf = (url: string) => url.split("/").at(-1)!;
    const crossed = await page(`/i/${a.id}/${tokenOf(b.hosted_invoice_url)}`);
    expect(crossed.status).toBe(404);
    expect(await crossed.text()).not.toContain(b.number);
    expect((await page(`/i/${a.id}/${"0".repeat(32)}`)).status).toBe(404);
    expect((await page(`/i/${a.id}/not-a-token`)).status).toBe(404);
    expect((await page(`/i/in_nope/${tokenOf(a.hosted_invoice_url)}/pdf`)).status).toBe(404);
    const rotated = await ok("POST", `/v1/invoices/${a.id}/rotate_links`);
    expect(rotated.hosted_invoice_url).not.toBe(a.hosted_invoice_url);
    expect((await page(pathOf(a.hosted_invoice_url))).status).toBe(404);
    expect((await page(pathOf(a.invoice_pdf))).status).toBe(404);
    expect((await page(pathOf(rotated.hosted_invoice_url))).status).toBe(200);
  });

  it("refuses a client that keeps guessing (429 with Retry-After)", async () => {
    const { invoice } = await openInvoice();
    const ip = "198.51.100.99";
    for (let i = 0; i < 20; i++) expect((await page(`/i/${invoice.id}/${"a".repeat(32)}`, { ip })).status).toBe(404);
    const blocked = await page(pathOf(invoice.hosted_invoice_url), { ip });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await page(pathOf(invoice.hosted_invoice_url))).status).toBe(200);
  });

  it("pays an open invoice from the page with a test card, and refuses a cross-site or token-less post", async () => {
    const { invoice, sub } = await openInvoice();
    const path = pathOf(invoice.hosted_invoice_url);
    const csrf = await csrfOf(await (await page(path)).text());
    const form = (fields: Record<string, string>) => new URLSearchParams(fields);
    const crossSite = await page(`${path}/pay`, {
      method: "POST",
      body: form({ csrf, payment_method: "pm_card_visa" }),
      headers: { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const noToken = await page(`${path}/pay`, { method: "POST", body: form({ payment_method: "pm_card_visa" }) });
    expect(noToken.status).toBe(403);
    const notACard = await page(`${path}/pay`, { method: "POST", body: form({ csrf, payment_method: "pm_fake" }) });
    expect(notACard.status).toBe(400);
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).status).toBe("open");

    const paid = await page(`${path}/pay`, {
      method: "POST",
      body: form({ csrf, payment_method: "pm_card_visa" }),
      headers: { "Sec-Fetch-Site": "same-origin", Origin: "http://localhost:8787" },
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get("Location")).toBe(`${path}?paid=1`);
    expect(await ok("GET", `/v1/invoices/${invoice.id}`)).toMatchObject({ status: "paid", amount_remaining: 0 });
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).status).toBe("active");
    const after = await (await page(`${path}?paid=1`)).text();
    expect(after).toContain("the payment was received");
    expect(after).not.toContain('data-testid="pay-form"');
    expect((await api("GET", `/v1/customers/${invoice.customer}`)).body.payment_method).toBe("pm_card_visa");
  });

  it("tells the customer when the card on file is declined", async () => {
    const { invoice } = await openInvoice();
    const path = pathOf(invoice.hosted_invoice_url);
    const csrf = await csrfOf(await (await page(path)).text());
    const declined = await page(`${path}/pay`, {
      method: "POST",
      body: new URLSearchParams({ csrf, payment_method: "" }),
    });
    expect(declined.headers.get("Location")).toBe(`${path}?failed=card_declined`);
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).attempt_count).toBe(2);
  });
});

describe("the invoice PDF", () => {
  it("is a PDF named after the invoice number, holding its number, lines and totals", async () => {
    const customer = await createCustomer({ name: "Ada Lovelace" });
    const plan = await createPlan({ amount: 1000 });
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    await ok("POST", `/v1/subscriptions/${sub.id}/invoice_items`, { amount: 250, description: "Onboarding session" });
    await ok("POST", `/v1/subscriptions/${sub.id}/invoice_items`, { amount: -100, description: "Goodwill credit" });
    const invoice = await ok("POST", `/v1/subscriptions/${sub.id}/invoices`);
    expect(invoice).toMatchObject({ total: 150, status: "paid" });
    const response = await page(pathOf(invoice.invoice_pdf));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/pdf");
    expect(response.headers.get("Content-Disposition")).toBe(`attachment; filename="invoice-${invoice.number}.pdf"`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    const { pdf, pages } = await pdfText(bytes);
    expect(pdf.getTitle()).toBe(`Invoice ${invoice.number} from Billify`);
    expect(pdf.getSubject()).toBe(`Invoice ${invoice.number}`);
    const text = pages.join("\n");
    for (const expected of [
      `Invoice ${invoice.number}`,
      "Billed to: Ada Lovelace · ada@example.com",
      "Onboarding session",
      "$2.50",
      "Goodwill credit",
      "-$1.00",
      "Subtotal",
      "Total",
      "$1.50",
      "Amount remaining",
      "$0.00",
    ])
      expect(text).toContain(expected);
    // Lines in the order of the invoice, totals after them.
    expect(text.indexOf("Onboarding session")).toBeLessThan(text.indexOf("Goodwill credit"));
    expect(text.indexOf("Goodwill credit")).toBeLessThan(text.indexOf("Subtotal"));
  });

  it("has no link, and no page, while the invoice is a draft", async () => {
    const { clock, subscription } = await subscribeOnClock("2026-04-01T00:00:00Z", { amount: 1000 });
    await ok("POST", `/v1/subscriptions/${subscription.id}/pause_collection`, { behavior: "keep_as_draft" });
    await ok("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-05-02T00:00:00Z" });
    const draft = (await invoicesOf(subscription.id)).find((i) => i.status === "draft");
    expect(draft).toMatchObject({ hosted_invoice_url: null, invoice_pdf: null });
    const finalized = await ok("POST", `/v1/invoices/${draft.id}/finalize`);
    const response = await page(pathOf(finalized.invoice_pdf));
    expect(response.headers.get("Content-Disposition")).toContain(`invoice-${finalized.number}.pdf`);
  });
});
