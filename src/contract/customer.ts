import { z } from "@hono/zod-openapi";
import { Metadata, Timestamp } from "./common";

const PaymentMethodToken = z
  .string()
  .regex(/^pm_[A-Za-z0-9_]{1,120}$/, "a payment method token such as pm_card_visa")
  .openapi({ example: "pm_card_visa" });

export const Customer = z
  .object({
    id: z.string(),
    object: z.literal("customer"),
    email: z.string().nullable(),
    name: z.string().nullable(),
    payment_method: z.string().nullable(),
    test_clock: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    created: Timestamp,
  })
  .openapi("Customer");
export type Customer = z.infer<typeof Customer>;

export const CustomerCreate = z
  .strictObject({
    email: z.email().max(320).nullable().optional().openapi({ example: "ada@example.com" }),
    name: z.string().min(1).max(200).nullable().optional().openapi({ example: "Ada Lovelace" }),
    payment_method: PaymentMethodToken.nullable().optional(),
    test_clock: z
      .string()
      .max(64)
      .nullable()
      .optional()
      .openapi({ description: "Test mode only: the clock this customer lives on." }),
    metadata: Metadata.default({}),
  })
  .openapi("CustomerCreate");
export type CustomerCreate = z.infer<typeof CustomerCreate>;

export const CustomerUpdate = z
  .strictObject({
    email: z.email().max(320).nullable().optional(),
    name: z.string().min(1).max(200).nullable().optional(),
    payment_method: PaymentMethodToken.nullable().optional().openapi({
      description:
        "Setting it retries at once the open invoices of this customer's past_due, unpaid or incomplete subscriptions.",
    }),
    metadata: Metadata.optional(),
  })
  .openapi("CustomerUpdate");
export type CustomerUpdate = z.infer<typeof CustomerUpdate>;
