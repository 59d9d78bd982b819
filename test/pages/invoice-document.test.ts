import { describe, expect, it } from "vitest";
import type { Invoice } from "../../src/contract/invoice";
import { invoiceDocument } from "../../src/pages/invoice-document";
import { renderInvoicePdf } from "../../src/pages/invoice-pdf";
import { pdfText } from "./pdf-text";

// The page and the PDF are laid out from the invoice's JSON alone: fields other features add
// (discounts, tax, usage) appear as rows as soon as the JSON carries them.

const seller = { name: "Acme", logoUrl: null, accentColor: "#123456" };
const invoice = (fields: Record<string, unknown> = {}, line: Record<string, unknown> = {}) =>
  ({
    id: "in_1",
    object: "invoice",
    number: "ABCD1234-0007",
    subscription: "sub_1",
    customer: "cus_1",
    status: "open",
    currency: "usd",
    lines: [
      {
        id: "il_1",
        object: "line_item",
        type: "subscription",
        description: "1 × Pro",
        amount: 10_000,
        quantity: 1,
        plan: "pro",
        period_start: "2026-04-01T00:00:00Z",
        period_end: "2026-05-01T00:00:00Z",
        ...line,
      },
    ],
    subtotal: 10_000,
    total: 9_720,
    credit_applied: 500,
    amount_due: 9_220,
    amount_paid: 0,
    amount_remaining: 9_220,
    attempt_count: 1,
    next_payment_attempt: "2026-04-02T00:00:00Z",
    period_start: "2026-04-01T00:00:00Z",
    period_end: "2026-05-01T00:00:00Z",
    billing_reason: "subscription_cycle",
    created: "2026-04-01T00:00:00Z",
    finalized_at: "2026-04-01T00:00:00Z",
    paid_at: null,
    voided_at: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    test_clock: null,
    ...fields,
  }) as unknown as Invoice;

describe("the invoice document (page and PDF)", () => {
  it("lists each line's discounts and taxes under it, and the invoice's under the subtotal", () => {
    const doc = invoiceDocument(
      invoice(
        {
          total_discount_amounts: [{ coupon: "spring-25", amount: 2_500 }],
          total_tax_amounts: [
            { tax_rate: "txr_vat", inclusive: false, amount: 1_500 },
            { tax_rate: "txr_gst", inclusive: true, amount: 680 },
          ],
        },
        {
          discount_amounts: [{ coupon: "spring-25", amount: 2_500 }],
          tax_amounts: [
            { tax_rate: "txr_vat", inclusive: false, amount: 1_500 },
            { tax_rate: "txr_gst", inclusive: true, amount: 680 },
          ],
          usage_quantity: "1234.5",
        },
      ),
      [],
      seller,
      { name: "Ada", email: "ada@example.com" },
      "Pro",
    );
    expect(doc.lines).toEqual([
      {
        description: "1 × Pro",
        detail: "Qty 1 · usage 1234.5 · April 1, 2026 – May 1, 2026",
        amount: "$100.00",
        adjustments: [
          ["Discount (spring-25)", "-$25.00"],
          ["Tax (txr_vat)", "$15.00"],
          ["Tax (txr_gst), included", "$6.80"],
        ],
      },
    ]);
    expect(doc.totals).toEqual([
      ["Subtotal", "$100.00"],
      ["Discount (spring-25)", "-$25.00"],
      ["Tax (txr_vat)", "$15.00"],
      ["Tax (txr_gst), included", "$6.80"],
      ["Total", "$97.20"],
      ["Credit applied", "-$5.00"],
      ["Amount due", "$92.20"],
      ["Amount paid", "$0.00"],
      ["Amount remaining", "$92.20"],
    ]);
    expect(doc.amountRemaining).toBe("$92.20");
    expect(doc.fileName).toBe("invoice-ABCD1234-0007.pdf");
    expect(doc.facts).toContainEqual(["Next attempt", "April 2, 2026"]);
  });

  it("shows no discount or tax row when the JSON has none, and formats other currencies", () => {
    const doc = invoiceDocument(
      invoice({ currency: "jpy", credit_applied: 0 }),
      [],
      seller,
      { name: null, email: null },
      "Pro",
    );
    expect(doc.lines[0]!.adjustments).toEqual([]);
    expect(doc.totals.map(([label]) => label)).toEqual([
      "Subtotal",
      "Total",
      "Amount due",
      "Amount paid",
      "Amount remaining",
    ]);
    expect(doc.lines[0]!.amount).toBe("¥10,000");
  });

  it("makes a PDF of text the standard font cannot draw, with those characters as '?'", async () => {
    const doc = invoiceDocument(
      invoice({ currency: "jpy" }, { description: "プロ plan – 1 × seat" }),
      [],
      seller,
      { name: "山田", email: "yamada@example.jp" },
      "Pro",
    );
    const { pages } = await pdfText(await renderInvoicePdf(doc, new Date("2026-04-01T00:00:00Z")));
    expect(pages.join("\n")).toContain("?? plan – 1 × seat");
    expect(pages.join("\n")).toContain("¥10,000");
    expect(pages.join("\n")).toContain("Billed to: ?? · yamada@example.jp");
  });
});
