import { z } from "@hono/zod-openapi";
import { Metadata, Timestamp } from "./common";
import { Discount } from "./discount";
import { DiscountAmount, Invoice, InvoiceLine, TotalTaxAmount } from "./invoice";

export const SubscriptionStatus = z.enum([
  "trialing",
  "active",
  "incomplete",
  "incomplete_expired",
  "past_due",
  "unpaid",
  "canceled",
]);

export const PauseBehavior = z.enum(["keep_as_draft", "mark_uncollectible", "void"]);

export const PauseCollection = z
  .object({ behavior: PauseBehavior, resumes_at: Timestamp.nullable() })
  .openapi("PauseCollection");

export const PauseCollectionCreate = z
  .strictObject({
    behavior: PauseBehavior.openapi({ description: "What becomes of each invoice made during the pause." }),
    resumes_at: Timestamp.optional().openapi({ description: "A future time at which collection resumes by itself." }),
  })
  .openapi("PauseCollectionCreate");
export type PauseCollectionCreate = z.infer<typeof PauseCollectionCreate>;

export const Subscription = z
  .object({
    id: z.string(),
    object: z.literal("subscription"),
    customer: z.string(),
    plan: z.string(),
    quantity: z.number().int(),
    status: SubscriptionStatus,
    current_period_start: Timestamp,
    current_period_end: Timestamp,
    billing_cycle_anchor: Timestamp,
    trial_start: Timestamp.nullable(),
    trial_end: Timestamp.nullable(),
    cancel_at_period_end: z.boolean(),
    canceled_at: Timestamp.nullable(),
    ended_at: Timestamp.nullable(),
    credit_balance: z.number().int(),
    discount: Discount.nullable().openapi({ description: "The discount in force, or null (also once it ended)." }),
    default_tax_rates: z.array(z.string()).openapi({ description: "Tax rate ids of every invoice from now on." }),
    pause_collection: PauseCollection.nullable(),
    currency: z.string(),
    latest_invoice: z.string().nullable(),
    test_clock: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    created: Timestamp,
    invoice: Invoice.nullable().optional().openapi({ description: "On a change: the invoice it issued, if any." }),
  })
  .openapi("Subscription");
export type Subscription = z.infer<typeof Subscription>;

const Quantity = z.number().int().min(1).max(10_000);

export const SubscriptionCreate = z
  .strictObject({
    customer: z.string().min(1).max(64),
    plan: z.string().min(1).max(64),
    quantity: Quantity.default(1),
    trial_days: z
      .number()
      .int()
      .min(0)
      .max(730)
      .optional()
      .openapi({ description: "Overrides the plan's trial_days." }),
    billing_cycle_anchor: Timestamp.optional().openapi({
      description: "A future time within one interval; the first period runs from now to it, prorated.",
    }),
    metadata: Metadata.default({}),
    coupon: z.string().min(1).max(64).optional().openapi({ description: "A coupon id: a discount from the start." }),
    promotion_code: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "A promotion code id (promo_…): a discount from the start." }),
    default_tax_rates: z.array(z.string().min(1).max(64)).max(5).optional(),
  })
  .refine((b) => b.coupon === undefined || b.promotion_code === undefined, {
    message: "give coupon or promotion_code, not both",
    path: ["promotion_code"],
  })
  .openapi("SubscriptionCreate");
export type SubscriptionCreate = z.infer<typeof SubscriptionCreate>;

export const SubscriptionChange = z
  .strictObject({
    plan: z.string().min(1).max(64).optional(),
    quantity: Quantity.optional(),
    proration_behavior: z.enum(["create_prorations", "always_invoice", "none"]).default("create_prorations"),
  })
  .refine((b) => b.plan !== undefined || b.quantity !== undefined, {
    message: "give plan, quantity or both",
    path: ["plan"],
  })
  .openapi("SubscriptionChange");
export type SubscriptionChange = z.infer<typeof SubscriptionChange>;

export const ChangePreview = z
  .object({
    object: z.literal("change_preview"),
    subscription: z.string(),
    currency: z.string(),
    lines: z.array(InvoiceLine),
    invoiced_now: z.boolean().openapi({ description: "True when the change would issue an invoice at once." }),
    subtotal: z.number().int().openapi({ description: "The sum of the lines the change makes." }),
    total_discount_amounts: z.array(DiscountAmount),
    tax: z.number().int(),
    total_tax_amounts: z.array(TotalTaxAmount),
    total: z.number().int().openapi({
      description: "subtotal − discounts + exclusive tax, as the invoice that bills these lines will show.",
    }),
  })
  .openapi("ChangePreview");
export type ChangePreview = z.infer<typeof ChangePreview>;

export const SubscriptionCancel = z
  .strictObject({ at_period_end: z.boolean().default(false) })
  .openapi("SubscriptionCancel");

export const InvoiceItemCreate = z
  .strictObject({
    amount: z
      .number()
      .int()
      .min(-100_000_000_000)
      .max(100_000_000_000)
      .refine((n) => n !== 0, "must not be zero"),
    description: z.string().min(1).max(500),
  })
  .openapi("InvoiceItemCreate");
export type InvoiceItemCreate = z.infer<typeof InvoiceItemCreate>;

export const Event = z
  .object({
    id: z.string(),
    object: z.literal("event"),
    type: z.string(),
    created: Timestamp,
    data: z.object({ object: z.record(z.string(), z.unknown()) }),
  })
  .openapi("Event");
