import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common";

/** A discount on a line or an invoice (rule 13d): `amount` is taken off (negative on a credit it is carried by). */
export const DiscountAmount = z.object({ coupon: z.string(), amount: z.number().int() }).openapi("DiscountAmount");

/** A tax amount on a line or an invoice (rule 16); an inclusive one is already inside the amount. */
export const TaxAmount = z
  .object({ tax_rate: z.string(), inclusive: z.boolean(), amount: z.number().int() })
  .openapi("TaxAmount");

/** An invoice's sum for one rate, with the rate's label as it was when the subscription was given it. */
export const TotalTaxAmount = TaxAmount.extend({
  display_name: z.string().nullable().openapi({ description: 'e.g. "VAT 20% (included)"' }),
}).openapi("TotalTaxAmount");

export const InvoiceLine = z
  .object({
    id: z.string(),
    object: z.literal("line_item"),
    type: z.enum(["subscription", "proration", "invoice_item", "usage"]),
    description: z.string(),
    amount: z.number().int(),
    quantity: z.number().int(),
    plan: z.string().nullable(),
    period_start: Timestamp,
    period_end: Timestamp,
    discount_amounts: z.array(DiscountAmount),
    tax_amounts: z.array(TaxAmount),
    meter: z.string().optional().openapi({ description: "A usage line's meter." }),
    charge: z
      .number()
      .int()
      .optional()
      .openapi({ description: "A usage line's charge: its index in the plan's charges." }),
    usage_quantity: z
      .string()
      .optional()
      .openapi({ description: "A usage line's aggregated usage, a decimal string.", example: "1250.5" }),
  })
  .openapi("InvoiceLine");
export type InvoiceLine = z.infer<typeof InvoiceLine>;

export const Invoice = z
  .object({
    id: z.string(),
    object: z.literal("invoice"),
    number: z.string().nullable().openapi({ description: "Null on a draft until it is finalized." }),
    subscription: z.string(),
    customer: z.string(),
    status: z.enum(["draft", "open", "paid", "void", "uncollectible"]),
    currency: z.string(),
    lines: z.array(InvoiceLine),
    subtotal: z.number().int(),
    total_discount_amounts: z.array(DiscountAmount),
    tax: z.number().int().openapi({ description: "Every tax amount, inclusive and exclusive." }),
    total_tax_amounts: z.array(TotalTaxAmount),
    total: z.number().int().openapi({ description: "subtotal − discounts + exclusive tax." }),
    credit_applied: z.number().int(),
    amount_due: z.number().int(),
    amount_paid: z.number().int(),
    amount_remaining: z.number().int(),
    attempt_count: z.number().int(),
    next_payment_attempt: Timestamp.nullable(),
    period_start: Timestamp,
    period_end: Timestamp,
    billing_reason: z.enum([
      "subscription_create",
      "subscription_cycle",
      "subscription_update",
      "subscription_final",
      "manual",
    ]),
    created: Timestamp,
    finalized_at: Timestamp.nullable(),
    paid_at: Timestamp.nullable(),
    voided_at: Timestamp.nullable(),
    hosted_invoice_url: z
      .string()
      .nullable()
      .openapi({ description: "The customer's page for this invoice (no API key needed); null on a draft." }),
    invoice_pdf: z.string().nullable().openapi({ description: "The invoice as a PDF; null on a draft." }),
    test_clock: z.string().nullable(),
  })
  .openapi("Invoice");
export type Invoice = z.infer<typeof Invoice>;

export const Payment = z
  .object({
    id: z.string(),
    object: z.literal("payment"),
    invoice: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(["succeeded", "failed", "pending", "refunded"]),
    method: z.enum(["card", "manual"]),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    attempt: z.number().int(),
    reference: z.string().nullable(),
    created: Timestamp,
    refund_status: z.enum(["pending", "succeeded", "failed"]).nullable().openapi({
      description:
        "For a `refunded` payment (a success on an invoice already closed): `pending` until the gateway refunded it, `succeeded`, or `failed` when the gateway refused it for good or never answered (the money is still owed: refund it by hand). Null otherwise.",
    }),
    refund_failure_code: z.string().nullable(),
    refund_failure_message: z.string().nullable(),
    needs_attention: z.boolean().openapi({
      description:
        "A card attempt still pending at the gateway 23 hours after it was made (the gateway forgets its key after 24): Billify stopped asking and no longer lets it hold the invoice. The webhook may still settle it; otherwise check the payment at the gateway.",
    }),
  })
  .openapi("Payment");
export type Payment = z.infer<typeof Payment>;

export const ManualPaymentCreate = z
  .strictObject({
    amount: z.number().int().min(1).max(100_000_000_000),
    reference: z.string().min(1).max(500).openapi({ example: "wire 2026-11-02 #4411" }),
  })
  .openapi("ManualPaymentCreate");
export type ManualPaymentCreate = z.infer<typeof ManualPaymentCreate>;

export const EmptyBody = z.strictObject({}).openapi("EmptyBody");
