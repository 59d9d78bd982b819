import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common";

export const BillingPortalSessionCreate = z
  .strictObject({
    customer: z.string().min(1).max(64),
    return_url: z
      .string()
      .max(2_000)
      .refine((value) => {
        try {
          const url = new URL(value);
          return url.protocol === "https:" || url.protocol === "http:";
        } catch {
          return false;
        }
      }, "must be an http(s) URL")
      .openapi({ description: "Where the portal's “Return” link goes.", example: "https://example.com/account" }),
  })
  .openapi("BillingPortalSessionCreate");
export type BillingPortalSessionCreate = z.infer<typeof BillingPortalSessionCreate>;

export const BillingPortalSession = z
  .object({
    id: z.string(),
    object: z.literal("billing_portal.session"),
    customer: z.string(),
    url: z.string().openapi({
      description: "A single-use link to the customer's portal (no API key needed); it expires at expires_at.",
    }),
    return_url: z.string(),
    expires_at: Timestamp,
    created: Timestamp,
  })
  .openapi("BillingPortalSession");
export type BillingPortalSession = z.infer<typeof BillingPortalSession>;
