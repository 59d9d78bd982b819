import type { Context } from "hono";
import type { ZodError } from "zod";
import { ApiError } from "../errors";

type HookResult = { success: true } | { success: false; error: ZodError };

/**
 * Turns the first zod issue into a 400 that names the field (`param`, dotted path):
 * unknown fields, missing fields and wrong types alike.
 */
export function validationError(result: HookResult, _c: Context): void {
  if (result.success) return;
  throw toApiError(result.error);
}

export function toApiError(error: ZodError): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError(400, "parameter_invalid", "Invalid request.");
  // A bad record key (a metadata key too long or empty) is reported on the record itself.
  const segments = issue.code === "invalid_key" ? issue.path.slice(0, -1) : issue.path;
  const path = segments.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const param = path ? `${path}.${key}` : key;
    return new ApiError(400, "parameter_unknown", `Unknown field '${param}'.`, param);
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return new ApiError(400, "parameter_missing", `Missing required field '${path}'.`, path);
  }
  if (!path) return new ApiError(400, "parameter_invalid", `Invalid request: ${issue.message}.`);
  return new ApiError(400, "parameter_invalid", `Invalid value for '${path}': ${issue.message}.`, path);
}
