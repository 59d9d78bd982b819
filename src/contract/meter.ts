import { z } from "@hono/zod-openapi";
import { tiersProblem } from "../domain/usage/pricing";
import { chargePriceOf } from "./charge-price";
import { MinorUnits, Timestamp } from "./common";

// docs/billing-rules.md rule 14: meters, meter events and a plan's usage charges.

export const AggregationSchema = z.enum(["sum", "count", "max", "last", "unique_count"]);

export const Meter = z
  .object({
    id: z.string(),
    object: z.literal("meter"),
    event_name: z.string(),
    display_name: z.string(),
    aggregation: AggregationSchema,
    value_key: z.string(),
    status: z.enum(["active", "inactive"]),
    created: Timestamp,
  })
  .openapi("Meter");
export type Meter = z.infer<typeof Meter>;

export const EVENT_NAME = /^[a-z0-9_.-]{1,100}$/;

export const MeterCreate = z
  .strictObject({
    event_name: z
      .string()
      .regex(EVENT_NAME, "lowercase letters, digits, _ . and -, at most 100")
      .openapi({ example: "api_call" }),
    display_name: z.string().min(1).max(200).openapi({ example: "API calls" }),
    aggregation: AggregationSchema.default("sum"),
    value_key: z
      .string()
      .min(1)
      .max(100)
      .refine((key) => key !== "customer", "the value key cannot be 'customer'")
      .default("value"),
  })
  .openapi("MeterCreate");
export type MeterCreate = z.infer<typeof MeterCreate>;

export const MeterUpdate = z
  .strictObject({
    display_name: z.string().min(1).max(200).optional(),
    status: z.enum(["active", "inactive"]).optional(),
  })
  .openapi("MeterUpdate", { description: "Only display_name and status change." });
export type MeterUpdate = z.infer<typeof MeterUpdate>;

/** A decimal string of minor units: at most 15 integer and 12 fractional digits. */
export const DecimalString = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,12})?$/, "a decimal string with at most 15 integer and 12 fractional digits")
  .openapi({ example: "0.04" });

export const ChargeTier = z
  .strictObject({
    up_to: z.number().int().min(1).max(1e15).nullable(),
    unit_amount_decimal: DecimalString.default("0"),
    flat_amount: MinorUnits.default(0),
  })
  .openapi("ChargeTier");

export const Charge = z
  .strictObject({
    meter: z.string().openapi({ example: "mtr_01JD0000000000000000000000" }),
    model: z.enum(["standard", "graduated", "volume", "package"]),
    unit_amount_decimal: DecimalString.optional(),
    tiers: z.array(ChargeTier).min(1).max(20).optional(),
    package_size: z.number().int().min(1).max(1e15).optional(),
    package_amount: MinorUnits.optional(),
  })
  .superRefine((charge, ctx) => {
    const need = (field: keyof typeof charge, present: boolean) => {
      if (!present) ctx.addIssue({ code: "custom", path: [field], message: `required by the ${charge.model} model` });
    };
    const forbid = (field: keyof typeof charge) => {
      if (charge[field] !== undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `not allowed with the ${charge.model} model` });
    };
    if (charge.model === "standard") {
      need("unit_amount_decimal", charge.unit_amount_decimal !== undefined);
      for (const f of ["tiers", "package_size", "package_amount"] as const) forbid(f);
    } else if (charge.model === "package") {
      need("package_size", charge.package_size !== undefined);
      need("package_amount", charge.package_amount !== undefined);
      for (const f of ["tiers", "unit_amount_decimal"] as const) forbid(f);
    } else {
      need("tiers", charge.tiers !== undefined);
      for (const f of ["unit_amount_decimal", "package_size", "package_amount"] as const) forbid(f);
      const price = charge.tiers ? chargePriceOf(charge) : null;
      const problem =
        price && price.model !== "standard" && price.model !== "package" ? tiersProblem(price.tiers) : null;
      if (problem) ctx.addIssue({ code: "custom", path: ["tiers"], message: problem });
    }
  })
  .openapi("Charge", {
    description:
      "A usage price on a meter. standard: unit_amount_decimal per unit; graduated/volume: tiers (ascending up_to, the last null); package: package_amount per started package_size units.",
  });
export type Charge = z.infer<typeof Charge>;

const PayloadValue = z.union([z.string().max(200), z.number()]);

export const MeterEventCreate = z
  .strictObject({
    event_name: z.string().min(1).max(100).openapi({ example: "api_call" }),
    identifier: z.string().min(1).max(100).optional().openapi({
      description:
        "Unique per event_name for this customer, forever: a repeat is answered like the first and counted once.",
      example: "req_8f2a",
    }),
    timestamp: Timestamp.optional().openapi({
      description: "Default: now on the customer's clock (its test clock's frozen_time).",
    }),
    payload: z
      .record(z.string().min(1).max(100), PayloadValue)
      .refine((p) => Object.keys(p).length <= 50, "at most 50 keys")
      .openapi({ example: { customer: "cus_01JD0000000000000000000000", value: "25" } }),
  })
  .openapi("MeterEventCreate");
export type MeterEventCreate = z.infer<typeof MeterEventCreate>;

export const MeterEvent = z
  .object({
    object: z.literal("meter_event"),
    event_name: z.string(),
    identifier: z.string(),
    timestamp: Timestamp,
    payload: z.record(z.string(), PayloadValue),
    created: Timestamp,
  })
  .openapi("MeterEvent");
export type MeterEvent = z.infer<typeof MeterEvent>;

export const MAX_BATCH_EVENTS = 100;

export const MeterEventBatchCreate = z
  .strictObject({ events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS) })
  .openapi("MeterEventBatchCreate", {
    description: "1–100 events, each a MeterEventCreate; one invalid event refuses the whole batch.",
  });

export const MeterEventBatch = z
  .object({
    object: z.literal("meter_event_batch"),
    accepted: z.number().int().openapi({ description: "Events counted for the first time." }),
    duplicates: z.number().int().openapi({ description: "Events whose identifier was already recorded." }),
  })
  .openapi("MeterEventBatch");
export type MeterEventBatch = z.infer<typeof MeterEventBatch>;

export const UsageCharge = z
  .object({
    charge: z.number().int(),
    meter: z.string(),
    period_start: Timestamp,
    period_end: Timestamp,
    usage_quantity: z.string(),
    amount: z.number().int(),
  })
  .openapi("UsageCharge");

export const SubscriptionUsage = z
  .object({
    object: z.literal("subscription_usage"),
    subscription: z.string(),
    currency: z.string(),
    data: z.array(UsageCharge),
    total: z.number().int(),
  })
  .openapi("SubscriptionUsage");
export type SubscriptionUsage = z.infer<typeof SubscriptionUsage>;
