import type { MiddlewareHandler } from "hono";
import { rateLimitOn } from "../lib/env";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "./context";

/**
 * The period of both `ratelimits` of wrangler.jsonc, in seconds. The binding answers only
 * `{ success }`, so `Retry-After` says the most a client can have to wait: one whole period.
 */
export const RATE_LIMIT_PERIOD_SECONDS = 10;
const METER_EVENTS = /^\/v1\/meter_events(\/|$)/;

/**
 * Requests per key, counted by Cloudflare's Workers Rate Limiting binding (no Durable Object
 * round trip: the count is kept in the Cloudflare location that serves the request). Meter event
 * ingestion (`/v1/meter_events*`) has its own, higher limit (`METER_RATE_LIMIT`); every other
 * authenticated request counts against `API_RATE_LIMIT`. Over the limit: 429 `rate_limit_error`
 * with `Retry-After`. `BILLIFY_RATE_LIMIT=off` turns it off; a deployment without the bindings
 * is not limited. Runs after auth, so the key's id is the counter's key (never the key itself)
 * and an unauthenticated flood costs no counter.
 */
export const rateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const keyId = c.get("keyId");
  if (keyId === undefined || !rateLimitOn(c.env.BILLIFY_RATE_LIMIT)) return next();
  const meter = METER_EVENTS.test(c.req.path);
  const limiter = meter ? c.env.METER_RATE_LIMIT : c.env.API_RATE_LIMIT;
  if (!limiter) return next();
  const { success } = await limiter.limit({ key: keyId });
  if (success) return next();
  const error = new ApiError(
    429,
    "rate_limited",
    `Too many requests with this key${meter ? " to /v1/meter_events" : ""}: retry after ${RATE_LIMIT_PERIOD_SECONDS} seconds.`,
  );
  return c.json({ error: error.body }, 429, { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) });
};
