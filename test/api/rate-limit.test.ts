import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/actors/env";
import { createApp } from "../../src/api/app";
import { keyIdOf } from "../../src/lib/keys";
import { ADMIN_KEY, API_KEY } from "../helpers";

/** A limiter that lets `allowed` calls per key through, and records every key it was asked about. */
function countingLimiter(allowed: number) {
  const counts = new Map<string, number>();
  const keys: string[] = [];
  const limiter: RateLimit = {
    async limit({ key }) {
      keys.push(key);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return { success: counts.get(key)! <= allowed };
    },
  };
  return { limiter, keys };
}

async function call(overrides: Partial<Env>, path: string, key = API_KEY) {
  const ctx = createExecutionContext();
  const response = await createApp().fetch(
    new Request(`http://billify.test${path}`, { headers: { Authorization: `Bearer ${key}` } }),
    { ...env, BILLIFY_RATE_LIMIT: "on", ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe("rate limits per key", () => {
  it("answers 429 rate_limit_error with Retry-After once a key is over its limit, counting by key id", async () => {
    const api = countingLimiter(2);
    const overrides = { API_RATE_LIMIT: api.limiter };
    expect((await call(overrides, "/v1/plans")).status).toBe(200);
    expect((await call(overrides, "/v1/plans")).status).toBe(200);
    const refused = await call(overrides, "/v1/plans");
    expect([
      refused.status,
      refused.body.error.type,
      refused.body.error.code,
      refused.headers.get("retry-after"),
    ]).toEqual([429, "rate_limit_error", "rate_limited", "10"]);
    // Another key has its own count; the counter never sees a key, only its id.
    expect((await call(overrides, "/v1/plans", ADMIN_KEY)).status).toBe(200);
    expect(new Set(api.keys)).toEqual(new Set([await keyIdOf(API_KEY), await keyIdOf(ADMIN_KEY)]));
  });

  it("counts meter event ingestion on its own limit", async () => {
    const api = countingLimiter(0);
    const meter = countingLimiter(100);
    const overrides = { API_RATE_LIMIT: api.limiter, METER_RATE_LIMIT: meter.limiter };
    expect((await call(overrides, "/v1/plans")).status).toBe(429);
    // Past the API limit, /v1/meter_events* still passes the limiter (whatever the route answers).
    const metered = await call(overrides, "/v1/meter_events/summary");
    expect(metered.status).not.toBe(429);
    expect([api.keys.length, meter.keys.length]).toEqual([1, 1]);
  });

  it("limits nothing when BILLIFY_RATE_LIMIT=off, and asks no limiter about unauthenticated requests", async () => {
    const api = countingLimiter(0);
    expect((await call({ API_RATE_LIMIT: api.limiter, BILLIFY_RATE_LIMIT: "off" }, "/v1/plans")).status).toBe(200);
    expect((await call({ API_RATE_LIMIT: api.limiter }, "/v1/plans", "sk_wrong")).status).toBe(401);
    expect(api.keys).toEqual([]);
  });

  it("is bound in this configuration (wrangler.jsonc ratelimits) and counts", async () => {
    expect(await env.API_RATE_LIMIT!.limit({ key: `probe-${crypto.randomUUID()}` })).toEqual({ success: true });
    expect(await env.METER_RATE_LIMIT!.limit({ key: `probe-${crypto.randomUUID()}` })).toEqual({ success: true });
  });
});
