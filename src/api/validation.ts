import type { z } from "@hono/zod-openapi";
import { ApiError } from "../lib/errors";

type ZodIssue = z.core.$ZodIssue;

/**
 * Validates one part of a request (`body`, `query` or `path`) against its zod schema and
 * returns the parsed value, or throws the 400 that names the field (`param`, dotted path):
 * absent → `parameter_missing`, present but wrong → `parameter_invalid`, extra →
 * `parameter_unknown`. Issues carry their input (`reportInput`), which is how absent is told
 * from present-but-wrong: `{"amount":"20.00"}` is invalid, `{}` is missing.
 */
export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw result.error;
}

/** A zod error as the 400 that names the field (the app's `onError`, src/api/errors.ts). */
export function validationApiError(issues: readonly ZodIssue[]): ApiError {
  const issue = issues[0];
  if (!issue) return new ApiError(400, "parameter_invalid", "Invalid request.");
  // A bad record key (a metadata key too long or empty) is reported on the record itself.
  const segments = issue.code === "invalid_key" ? issue.path.slice(0, -1) : issue.path;
  const path = segments.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const param = path ? `${path}.${key}` : key;
    return new ApiError(400, "parameter_unknown", `Unknown field '${param}'.`, param);
  }
  if (issue.code === "invalid_type" && issue.input === undefined && path) {
    return new ApiError(400, "parameter_missing", `Missing required field '${path}'.`, path);
  }
  if (!path) return new ApiError(400, "parameter_invalid", `Invalid request: ${issue.message}.`);
  return new ApiError(400, "parameter_invalid", `Invalid value for '${path}': ${issue.message}.`, path);
}

/** @hono/zod-openapi's hook, for routes registered with `app.openapi` directly: the same 400s. */
export function validationError(result: { success: true } | { success: false; error: z.ZodError }): void {
  if (!result.success) throw result.error;
}
