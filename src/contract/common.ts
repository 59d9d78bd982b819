import { z } from "@hono/zod-openapi";
import { isKnownCurrency } from "./currencies";
import type { Outcome } from "./errors";
import { failure } from "./errors";

/** docs/billing-rules.md, Conventions: metadata holds at most 50 keys (after a PATCH's merge too). */
export const MAX_METADATA_KEYS = 50;

const METADATA_KEY_NAMES = { propertyNames: { type: "string", minLength: 1, maxLength: 40 } };

export const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= MAX_METADATA_KEYS, { message: "metadata holds at most 50 keys" })
  .openapi("Metadata", {
    description: "String keys (≤ 40 chars) to string values (≤ 500 chars), at most 50 keys.",
    maxProperties: MAX_METADATA_KEYS,
    // JSON Schema 2020-12's key constraint; zod-to-openapi does not derive it from the record's key schema.
    ...(METADATA_KEY_NAMES as object),
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
  return failure(
    400,
    "parameter_invalid",
    `metadata holds at most ${MAX_METADATA_KEYS} keys, counting the keys already set.`,
    "metadata",
  );
}

export const Timestamp = z
  .string()
  .openapi({ format: "date-time", description: "ISO 8601 UTC, second precision", example: "2026-01-31T10:00:00Z" });

export const Currency = z
  .string()
  .regex(/^[a-z]{3}$/, "a lowercase ISO 4217 code, e.g. usd")
  .refine(isKnownCurrency, "not an ISO 4217 currency code")
  .openapi({
    description: "Lowercase ISO 4217 code; amounts are in its minor unit (cents for usd, yen for jpy).",
    example: "usd",
  });

/** An amount in the currency's minor unit. Bounded so amount × quantity stays exact. */
export const MinorUnits = z.number().int().min(0).max(100_000_000_000).openapi({ example: 2000 });

const Limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(10)
  .openapi({ param: { name: "limit", in: "query" }, description: "Page size, 1–100.", example: 10 });

/** A list's query: `limit` (1–100, default 10) and `cursor`, whose shape the list decides. */
export function listQuery(cursor: z.ZodString = z.string().min(1).max(512)) {
  return z.object({
    limit: Limit,
    cursor: cursor
      .optional()
      .openapi({ param: { name: "cursor", in: "query" }, description: "The `next_cursor` of the previous page." }),
  });
}

export const ListQuery = listQuery();

const ULID_TAIL = "[0-9A-HJKMNP-TV-Z]{26}";

/** A cursor that is an object id of the given prefix (the last id of the previous page). */
export function idCursor(prefix: string) {
  return z
    .string()
    .regex(
      new RegExp(`^${prefix}_${ULID_TAIL}$`),
      "not a cursor this list issued; pass a next_cursor from a previous page",
    );
}

export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" } }),
});

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
