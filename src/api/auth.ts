import type { MiddlewareHandler } from "hono";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./context";

/** Paths under /v1 that carry no API key (the contract, and Stripe's signed callbacks). */
const PUBLIC_PATHS = new Set(["/v1/openapi.json", "/v1/gateway/stripe/webhook"]);

/**
 * Bearer auth (docs/billing-rules.md, Conventions). BILLIFY_API_KEY opens /v1/* except /v1/admin/*;
 * BILLIFY_ADMIN_KEY opens everything. With no key configured every request is 401: the
 * service fails closed. Keys are compared in constant time.
 */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (PUBLIC_PATHS.has(c.req.path)) return next();
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new ApiError(401, "missing_api_key", "Send your API key as 'Authorization: Bearer <key>'.");
  }
  const presented = match[1]!;
  const { BILLIFY_API_KEY: apiKey, BILLIFY_ADMIN_KEY: adminKey } = c.env;
  const isAdmin = adminKey ? await constantTimeEqual(presented, adminKey) : false;
  const isApi = apiKey ? await constantTimeEqual(presented, apiKey) : false;
  if (!isAdmin && !isApi) {
    const why = !apiKey && !adminKey ? " (no key is configured on this server, so every request is refused)" : "";
    throw new ApiError(401, "invalid_api_key", `Invalid API key${why}.`);
  }
  if (c.req.path.startsWith("/v1/admin/") && !isAdmin) {
    throw new ApiError(403, "admin_key_required", "This route needs the admin key (BILLIFY_ADMIN_KEY).");
  }
  c.set("scope", isAdmin ? "admin" : "api");
  return next();
};

/** Compares SHA-256 digests with timingSafeEqual: constant time whatever the lengths. */
async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}
