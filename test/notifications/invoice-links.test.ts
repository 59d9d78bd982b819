import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../src/contract/messages";
import { renderEmail, wantsEmail } from "../../src/notifications/email/templates";

// API §11: every invoice email links to the invoice's page and its PDF; an invoice closed as
// it was finalized (a paused collection, rule 15) sends no "invoice ready" email.

const page = "https://billing.example.com/i/in_01ABC/0123456789abcdef0123456789abcdef";
const invoice = (fields: Record<string, unknown> = {}) => ({
  id: "in_01ABC",
  number: "ABCD1234-0001",
  status: "open",
  currency: "usd",
  lines: [{ description: "1 × Basic", amount: 1000 }],
  subtotal: 1000,
  total: 1000,
  credit_applied: 0,
  amount_due: 1000,
  amount_paid: 0,
  amount_remaining: 1000,
  next_payment_attempt: null,
  period_start: "2026-04-01T00:00:00Z",
  period_end: "2026-05-01T00:00:00Z",
  hosted_invoice_url: page,
  invoice_pdf: `${page}/pdf`,
  ...fields,
});
const event = (type: string, object: Record<string, unknown>): EventEnvelope => ({
  id: "evt_1",
  object: "event",
  type,
  created: "2026-04-01T00:00:00Z",
  data: { object },
});

describe("invoice emails", () => {
  it("link to the hosted page and the PDF in text and HTML", () => {
    for (const type of ["invoice.finalized", "invoice.paid", "invoice.payment_failed"]) {
      const email = renderEmail({ event: event(type, invoice()), plan: null, customerName: "Ada" })!;
      expect(email.text).toContain(`View or pay this invoice: ${page}`);
      expect(email.text).toContain(`Download it as a PDF: ${page}/pdf`);
      expect(email.html).toContain(`href="${page}"`);
      expect(email.html).toContain(`href="${page}/pdf"`);
    }
  });

  it("show no links for an invoice without a page (an upcoming preview)", () => {
    const preview = invoice({ hosted_invoice_url: undefined, invoice_pdf: undefined, number: undefined });
    const email = renderEmail({ event: event("invoice.paid", preview), plan: null, customerName: null })!;
    expect(email.text).not.toContain("View or pay");
  });

  it("send no 'invoice ready' email for an invoice voided or marked uncollectible as it was finalized", () => {
    expect(wantsEmail(event("invoice.finalized", invoice()), null)).toBe(true);
    expect(wantsEmail(event("invoice.finalized", invoice({ status: "void" })), null)).toBe(false);
    expect(wantsEmail(event("invoice.finalized", invoice({ status: "uncollectible" })), null)).toBe(false);
  });
});
