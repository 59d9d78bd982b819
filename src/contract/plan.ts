import { z } from "@hono/zod-openapi";
import { isCadenceAllowed } from "../domain/billing-period";
import { Currency, Metadata, MinorUnits, Timestamp } from "./common";
import { Charge } from "./meter";

/** A plan id the caller chooses (POST /v1/plans with an `id`). */
export const CUSTOM_PLAN_ID = /^[a-z0-9_-]{1,64}$/;

const IntervalSchema = z.enum(["day", "week", "month", "year"]);

export const Plan = z
  .object({
    id: z.string(),
    object: z.literal("plan"),
    name: z.string(),
    currency: z.string(),
    amount: z.number().int(),
    interval: IntervalSchema,
    interval_count: z.number().int(),
    trial_days: z.number().int(),
    charges: z.array(Charge).openapi({ description: "Usage-based prices, billed in arrears." }),
    active: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    created: Timestamp,
  })
  .openapi("Plan");
export type Plan = z.infer<typeof Plan>;

export const PlanCreate = z
  .strictObject({
    id: z
      .string()
      .regex(CUSTOM_PLAN_ID, "lowercase letters, digits, _ and -, at most 64")
      .optional()
      .openapi({ example: "pro-monthly", description: "Optional client-chosen id; otherwise plan_<ULID>." }),
    name: z.string().min(1).max(200).openapi({ example: "Pro" }),
    currency: Currency,
    amount: MinorUnits.openapi({ description: "Price per unit per period, in minor units." }),
    interval: IntervalSchema,
    interval_count: z.number().int().min(1).max(1095).default(1),
    trial_days: z.number().int().min(0).max(730).default(0),
    charges: z
      .array(Charge)
      .max(20)
      .default([])
      .openapi({ description: "Usage-based prices (at most 20), billed in arrears." }),
    active: z.boolean().default(true),
    metadata: Metadata.default({}),
  })
  .superRefine((plan, ctx) => {
    if (!isCadenceAllowed({ interval: plan.interval, intervalCount: plan.interval_count })) {
      ctx.addIssue({ code: "custom", path: ["interval_count"], message: "one interval is at most 3 years" });
    }
  })
  .openapi("PlanCreate");
export type PlanCreate = z.infer<typeof PlanCreate>;

export const PlanUpdate = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    active: z.boolean().optional(),
    metadata: Metadata.optional(),
  })
  .openapi("PlanUpdate", { description: "Price terms (currency, amount, interval, interval_count) never change." });
export type PlanUpdate = z.infer<typeof PlanUpdate>;

export const PRICE_TERMS = ["currency", "amount", "interval", "interval_count", "trial_days", "charges", "id"] as const;
