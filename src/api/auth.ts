import type { MiddlewareHandler } from "hono";
import { ApiError } from "../lib/errors";
import { configuredKeys, keyIdOfDigest, matchKey } from "../lib/keys";
import type { AppEnv } from "./context";

/** Paths under /v1 that carry no API key (the contract, and Stripe's signed callbacks). */
const PUBLIC_PATHS = new Set(["/v1/openapi.json", "/v1/gateway/stripe/webhook"]);
const READ_METHODS = new Set(["GET", "HEAD"]);

/**
 * Bearer auth (docs/billing-rules.md, Conventions). An API key (`BILLIFY_API_KEY`, `BILLIFY_API_KEYS`) opens /v1/* except
 * /v1/admin/*; an admin key (`BILLIFY_ADMIN_KEY`, `BILLIFY_ADMIN_KEYS`) opens everything; a read
 * key (`BILLIFY_READ_KEYS`) opens every GET, admin reads included, and no write (403). With no
 * key configured every request is 401: the service fails closed. Every configured key is
 * compared in constant time (src/lib/keys.ts). The matched key's id (never the key) is kept
 * for the audit trail.
 */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (PUBLIC_PATHS.has(c.req.path)) return next();
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new ApiError(401, "missing_api_key", "Send your API key as 'Authorization: Bearer <key>'.");
  }
  const keys = configuredKeys(c.env);
  const matched = await matchKey(match[1]!, keys);
  if (!matched) {
    const why = keys.length === 0 ? " (no key is configured on this server, so every request is refused)" : "";
    throw new ApiError(401, "invalid_api_key", `Invalid API key${why}.`);
  }
  const { role } = matched.key;
  // Known before any refusal below, so the audit trail records a refused write with its key.
  c.set("scope", role);
  c.set("keyId", keyIdOfDigest(matched.digest));
  if (role === "read" && !READ_METHODS.has(c.req.method)) {
    throw new ApiError(403, "read_only_key", `This key is read-only: it cannot ${c.req.method} ${c.req.path}.`);
  }
  if (c.req.path.startsWith("/v1/admin/") && role === "api") {
    throw new ApiError(403, "admin_key_required", "This route needs an admin key (BILLIFY_ADMIN_KEY or _KEYS).");
  }
  return next();
};
