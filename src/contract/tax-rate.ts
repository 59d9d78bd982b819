import { z } from "@hono/zod-openapi";
import { Metadata, Timestamp } from "./common";

// Tax rates (docs/billing-rules.md rule 16).

export const TaxRate = z
  .object({
    id: z.string(),
    object: z.literal("tax_rate"),
    display_name: z.string(),
    percentage: z.number(),
    inclusive: z.boolean(),
    country: z.string().nullable(),
    jurisdiction: z.string().nullable(),
    active: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    created: Timestamp,
  })
  .openapi("TaxRate");
export type TaxRate = z.infer<typeof TaxRate>;

const atMostFourDecimals = (n: number) => Math.abs(n * 10_000 - Math.round(n * 10_000)) < 1e-6;

export const TaxRateCreate = z
  .strictObject({
    display_name: z.string().min(1).max(100).openapi({ example: "VAT" }),
    percentage: z.number().min(0).max(100).refine(atMostFourDecimals, "at most 4 decimals").openapi({ example: 20 }),
    inclusive: z.boolean(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code, e.g. DE")
      .optional(),
    jurisdiction: z.string().min(1).max(100).optional(),
    active: z.boolean().default(true),
    metadata: Metadata.default({}),
  })
  .openapi("TaxRateCreate");
export type TaxRateCreate = z.infer<typeof TaxRateCreate>;

export const TaxRateUpdate = z
  .strictObject({
    display_name: z.string().min(1).max(100).optional(),
    active: z.boolean().optional(),
    metadata: Metadata.optional(),
  })
  .openapi("TaxRateUpdate", {
    description: "A rate's terms (percentage, inclusive, country, jurisdiction) never change.",
  });
export type TaxRateUpdate = z.infer<typeof TaxRateUpdate>;

export const TAX_RATE_TERMS = ["id", "percentage", "inclusive", "country", "jurisdiction"] as const;

export const SubscriptionTaxRates = z
  .strictObject({
    default_tax_rates: z
      .array(z.string().min(1).max(64))
      .max(5)
      .openapi({ description: "0–5 tax rate ids, in order." }),
  })
  .openapi("SubscriptionTaxRates");
