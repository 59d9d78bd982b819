import { z } from "@hono/zod-openapi";
import type { Outcome } from "../errors";
import { failure } from "../errors";

/** API.md §1: metadata holds at most 50 keys (after a PATCH's merge too). */
export const MAX_METADATA_KEYS = 50;

export const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= MAX_METADATA_KEYS, { message: "metadata holds at most 50 keys" })
  .openapi("Metadata", {
    description: "String keys (≤ 40 chars) to string values (≤ 500 chars), at most 50 keys.",
    example: { crm_id: "42" },
  });

/** PATCH semantics for metadata (Stripe's): keys merge in; a key set to "" is removed. */
export function mergeMetadata(current: Record<string, string>, patch: Record<string, string>): Record<string, string> {
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === "") delete next[key];
    else next[key] = value;
  }
  return next;
}

/** The 400 for a PATCH whose merged metadata would exceed MAX_METADATA_KEYS. */
export function tooManyMetadataKeys<T>(): Outcome<T> {
  return failure(400, "parameter_invalid", `metadata holds at most ${MAX_METADATA_KEYS} keys, counting the keys already set.`, "metadata");
}

export const Timestamp = z
  .string()
  .openapi({ description: "ISO 8601 UTC, second precision", example: "2026-01-31T10:00:00Z" });

export const Currency = z
  .string()
  .regex(/^[a-z]{3}$/, "a lowercase ISO 4217 code, e.g. usd")
  .openapi({ example: "usd" });

/** An amount in the currency's minor unit. Bounded so amount × quantity stays exact. */
export const MinorUnits = z.number().int().min(0).max(100_000_000_000).openapi({ example: 2000 });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10).openapi({ param: { name: "limit", in: "query" } }),
  cursor: z.string().max(512).optional().openapi({ param: { name: "cursor", in: "query" } }),
});

export const IdParam = z.object({ id: z.string().min(1).max(128).openapi({ param: { name: "id", in: "path" } }) });

export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      has_more: z.boolean(),
      next_cursor: z.string().nullable(),
    })
    .openapi(name);
}

export interface ListPage<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export const ErrorEnvelope = z
  .object({
    error: z.object({
      type: z.string(),
      code: z.string(),
      message: z.string(),
      param: z.string().optional(),
    }),
  })
  .openapi("Error");
