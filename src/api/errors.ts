import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./context";
import { validationApiError } from "./validation";

/**
 * The app's one `onError`: every failure a request can meet becomes the error envelope here.
 * An `ApiError` (thrown by a route, auth, the body reader, or `send` for an actor's failed
 * `Outcome`) as it is; a zod error as the 400 naming its field; Hono's HTTPException as its
 * status; anything else as a logged 500 that tells the client nothing more.
 */
export function errorResponse(c: Context<AppEnv>, error: unknown): Response {
  const known = asApiError(error);
  if (!known) {
    console.error("unhandled error", error);
    const internal = new ApiError(500, "internal_error", "An internal error occurred. It has been logged.");
    return c.json({ error: internal.body }, 500);
  }
  return c.json({ error: known.body }, known.status as 400, known.headers);
}

function asApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof z.ZodError) return validationApiError(error.issues);
  if (error instanceof HTTPException) {
    const status = error.status;
    const code =
      status === 400
        ? "invalid_json"
        : status === 413
          ? "body_too_large"
          : status === 415
            ? "unsupported_media_type"
            : "http_error";
    const message =
      status === 415
        ? "Send JSON with 'Content-Type: application/json'."
        : error.message || "The request could not be read.";
    return new ApiError(status, code, message);
  }
  return null;
}
