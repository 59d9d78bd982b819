/**
 * Issue 20 (operating it safely) over real HTTP: a `wrangler dev` of its own, started with the
 * operator's configuration under test (several keys per role, a read-only key) and a copy of
 * wrangler.jsonc with low rate limits and no webhook retries (a failed delivery is dead-lettered
 * at once), then restarted on the same storage with a key removed, as a rotation does.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonc } from "../../scripts/jsonc.mjs";
import type { Service } from "../../scripts/service.mjs";
import { startService } from "../../scripts/service.mjs";

declare const process: { env: Record<string, string | undefined> };
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OLD_KEY = "sk_test_ops_old";
const NEW_KEY = "sk_test_ops_new";
const ADMIN = "sk_admin_ops";
const READ_KEY = "rk_test_ops";
/** The key the rate-limit test spends (each key has its own count). */
const BURST_KEY = "sk_test_ops_burst";
const API_LIMIT = 40;
const METER_LIMIT = 200;
const KEYS = {
  BILLIFY_API_KEY: "",
  BILLIFY_ADMIN_KEY: "",
  BILLIFY_API_KEYS: `${NEW_KEY},${OLD_KEY},${BURST_KEY}`,
  BILLIFY_ADMIN_KEYS: ADMIN,
  BILLIFY_READ_KEYS: READ_KEY,
};

const root = join(import.meta.dirname, "..", "..");
let state = "";
let config = "";
/** Receiver paths answering 500 (the rest answer 200). */
const failing = new Set<string>();
let service: Service;
/** What the local receiver got, by path. */
const received: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
let receiverUrl = "";
let closeReceiver: () => Promise<void> = async () => undefined;

async function eventually<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The project's wrangler.jsonc with low per-key limits and webhook deliveries dead-lettered on their first failure. */
function opsConfig() {
  const base = parseJsonc(readFileSync(join(root, "wrangler.jsonc"), "utf8"));
  delete base.$schema;
  base.main = join(root, base.main);
  base.assets.directory = join(root, base.assets.directory);
  const limits: Record<string, number> = { API_RATE_LIMIT: API_LIMIT, METER_RATE_LIMIT: METER_LIMIT };
  for (const limiter of base.ratelimits) limiter.simple.limit = limits[limiter.name];
  for (const consumer of base.queues.consumers) if (consumer.queue === "billify-webhooks") consumer.max_retries = 0;
  return base;
}

/** `printf %s "$KEY" | sha256sum | cut -c1-12`, as README "Rotating API keys" says. */
const keyId = (key: string) => `key_${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;

async function call(method: string, path: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(failing.has(req.url ?? "") ? 500 : 200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeReceiver = () => new Promise<void>((resolve) => server.close(() => resolve()));
  state = mkdtempSync(join(tmpdir(), "billify-ops-"));
  config = join(state, "wrangler.ops.jsonc");
  writeFileSync(config, JSON.stringify(opsConfig()));
  service = await startService({ persistTo: state, vars: KEYS, config });
});
afterAll(async () => {
  await service?.stop();
  await closeReceiver();
  if (state) rmSync(state, { recursive: true, force: true });
});

const guardedPath = "/guarded";
/** The endpoint on this machine made before the URL guard went on (set by the rotation test). */
let guardedHookId = "";

describe("dead letters replayed once", () => {
  it("dead-letters a delivery the receiver refused, and a replay (asked twice) delivers it once", async () => {
    const path = "/dead";
    failing.add(path);
    const hook = await call("POST", "/v1/webhook_endpoints", ADMIN, {
      url: `${receiverUrl}${path}`,
      enabled_events: ["customer.created"],
    });
    const customer = await call("POST", "/v1/customers", NEW_KEY, { email: "dead@example.com" });
    const mine = (r: { path: string; body: string }) => r.path === path && r.body.includes(customer.json.id);
    // No retries in this configuration: the refused delivery goes straight to the dead letters.
    const letters = await eventually(
      async () =>
        (await call("GET", "/v1/admin/dead_letters?limit=100", ADMIN)).json.data.filter(
          (d: { endpoint: string }) => d.endpoint === hook.json.id,
        ),
      (found) => found.length > 0,
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ kind: "webhook", event_type: "customer.created", replayed: null });
    expect(received.filter(mine)).toHaveLength(1);

    failing.delete(path);
    const first = await call("POST", `/v1/admin/dead_letters/${letters[0].id}/replay`, ADMIN);
    const second = await call("POST", `/v1/admin/dead_letters/${letters[0].id}/replay`, ADMIN);
    expect([first.status, second.status, second.json.replayed]).toEqual([200, 200, first.json.replayed]);
    const all = await call("POST", "/v1/admin/dead_letters/replay", ADMIN, { endpoint: hook.json.id });
    expect([all.status, all.json.replayed]).toEqual([200, []]);
    const delivered = await eventually(
      () => received.filter(mine),
      (found) => found.length >= 2,
    );
    expect(delivered).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(received.filter(mine)).toHaveLength(2);
  });
});

describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== "true")("the dashboard's replay button (Chromium)", () => {
  it("replays a dead letter once from the Dead letters page", async () => {
    const path = "/dead-ui";
    failing.add(path);
    const hook = await call("POST", "/v1/webhook_endpoints", ADMIN, {
      url: `${receiverUrl}${path}`,
      enabled_events: ["customer.created"],
    });
    const customer = await call("POST", "/v1/customers", NEW_KEY, { email: "dead-ui@example.com" });
    const mine = (r: { path: string; body: string }) => r.path === path && r.body.includes(customer.json.id);
    const [letter] = await eventually(
      async () =>
        (await call("GET", "/v1/admin/dead_letters?limit=100", ADMIN)).json.data.filter(
          (d: { endpoint: string }) => d.endpoint === hook.json.id,
        ),
      (found) => found.length > 0,
    );
    failing.delete(path);

    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      await page.goto(`${service.url}/admin`);
      await page.fill("#admin-key", ADMIN);
      await page.click("#sign-in button[type=submit]");
      await page.click("[data-testid=nav-dead-letters]");
      const row = page.locator(`[data-testid=dead-letter-row][data-id="${letter.id}"]`);
      await row.locator("[data-testid=replay]").click();
      await expect.poll(() => row.locator("[data-testid=replayed]").textContent()).toMatch(/^replayed /);
    } finally {
      await browser.close();
    }
    const delivered = await eventually(
      () => received.filter(mine),
      (found) => found.length >= 2,
    );
    expect(delivered).toHaveLength(2);
    const again = await call("POST", `/v1/admin/dead_letters/${letter.id}/replay`, ADMIN);
    expect(again.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(received.filter(mine)).toHaveLength(2);
  });
});

describe("rate limits per key (this service: 40 requests per 10 s, meter events 200)", () => {
  it("answers 429 rate_limit_error with Retry-After past the limit, for that key only; meter events count apart", async () => {
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof call>> | null = null;
    // The limiter counts in 10 s windows: a burst that straddles a window's end splits its
    // count, so it sends up to twice the limit (one window then holds more than the limit).
    for (let i = 0; i < 2 * API_LIMIT + 2 && refused === null; i++) {
      const response = await call("GET", "/v1/plans", BURST_KEY);
      statuses.push(response.status);
      if (response.status === 429) refused = response;
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(API_LIMIT - 1);
    expect(refused).not.toBeNull();
    expect([refused!.json.error.type, refused!.json.error.code, refused!.headers.get("retry-after")]).toEqual([
      "rate_limit_error",
      "rate_limited",
      "10",
    ]);
    // The same moment, another key is served, and the spent key still reaches meter event ingestion.
    expect((await call("GET", "/v1/plans", NEW_KEY)).status).toBe(200);
    expect((await call("GET", "/v1/meter_events", BURST_KEY)).status).not.toBe(429);
  });
});

describe("API keys: rotation without downtime, read-only keys", () => {
  it("serves both keys of a rotation, then only the new one once the old is removed", async () => {
    // Before the restart (URL guard off, as in test mode): an endpoint on this machine gets events.
    const hook = await call("POST", "/v1/webhook_endpoints", ADMIN, {
      url: `${receiverUrl}${guardedPath}`,
      enabled_events: ["customer.created"],
    });
    expect(hook.status).toBe(201);
    guardedHookId = hook.json.id;
    const created = await call("POST", "/v1/customers", OLD_KEY, { email: "rotate@example.com" });
    expect(created.status).toBe(201);
    const viaNew = await call("GET", `/v1/customers/${created.json.id}`, NEW_KEY);
    expect([viaNew.status, viaNew.json.email]).toEqual([200, "rotate@example.com"]);

    const delivered = await eventually(
      () => received.filter((r) => r.path === guardedPath && r.body.includes(created.json.id)),
      (found) => found.length > 0,
    );
    expect(delivered).toHaveLength(1);

    // Step 3 of README "Rotating API keys": redeploy without the old key. Same storage. The
    // URL guard goes on too (what live mode does), for the guard's tests below.
    await service.stop();
    service = await startService({
      persistTo: state,
      config,
      vars: { ...KEYS, BILLIFY_API_KEYS: NEW_KEY, BILLIFY_WEBHOOK_URL_GUARD: "on" },
    });
    const old = await call("GET", `/v1/customers/${created.json.id}`, OLD_KEY);
    expect([old.status, old.json.error.type]).toEqual([401, "authentication_error"]);
    const still = await call("GET", `/v1/customers/${created.json.id}`, NEW_KEY);
    expect([still.status, still.json.id]).toEqual([200, created.json.id]);

    // Step 2's check: the audit trail names the key that wrote, by id (sha256 prefix), never the key.
    const written = await call("PATCH", `/v1/customers/${created.json.id}`, NEW_KEY, { name: "Rotated" });
    expect(written.status).toBe(200);
    const trail = await eventually(
      async () => (await call("GET", `/v1/admin/requests?object=${created.json.id}`, ADMIN)).json.data,
      (records: { method: string; status: number; key: string }[]) => records.length >= 2,
    );
    expect(trail.map((r: { method: string; status: number; key: string }) => [r.method, r.status, r.key])).toEqual([
      ["PATCH", 200, keyId(NEW_KEY)],
      ["POST", 201, keyId(OLD_KEY)],
    ]);
    expect(JSON.stringify(trail)).not.toContain(OLD_KEY);
  });

  it("lets a read-only key read everything (admin lists too) and write nothing", async () => {
    expect((await call("GET", "/v1/customers", READ_KEY)).status).toBe(200);
    expect((await call("GET", "/v1/admin/dead_letters", READ_KEY)).status).toBe(200);
    const write = await call("POST", "/v1/customers", READ_KEY, { email: "nope@example.com" });
    expect([write.status, write.json.error.type, write.json.error.code]).toEqual([
      403,
      "permission_error",
      "read_only_key",
    ]);
    const admin = await call("POST", "/v1/admin/live_tokens", READ_KEY, { subscription: "sub_x" });
    expect([admin.status, admin.json.error.code]).toEqual([403, "read_only_key"]);
  });
});

describe("webhook URL guard (BILLIFY_WEBHOOK_URL_GUARD=on, as in live mode)", () => {
  it.each([
    ["loopback", "http://127.0.0.1:8787/hook"],
    ["loopback, decimal", "http://2130706433/hook"],
    ["loopback, hex", "http://0x7f.0.0.1/hook"],
    ["loopback, octal", "http://0177.0.0.1/hook"],
    ["loopback IPv6", "http://[::1]/hook"],
    ["IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]/hook"],
    ["private (RFC 1918)", "https://192.168.1.10/hook"],
    ["private IPv6 (fc00::/7)", "https://[fd00::5]/hook"],
    ["link-local: cloud metadata", "http://169.254.169.254/latest/meta-data/"],
    ["link-local IPv6", "https://[fe80::1]/hook"],
    ["unspecified", "http://0.0.0.0/hook"],
    ["localhost", "http://localhost:8787/hook"],
    ["a name under localhost", "http://billify.localhost/hook"],
  ])("refuses a %s URL at creation with 400 url_not_allowed", async (_, url) => {
    const response = await call("POST", "/v1/webhook_endpoints", NEW_KEY, { url, enabled_events: ["*"] });
    expect([response.status, response.json.error.code, response.json.error.param]).toEqual([
      400,
      "url_not_allowed",
      "url",
    ]);
  });

  it("accepts a public URL", async () => {
    const response = await call("POST", "/v1/webhook_endpoints", NEW_KEY, {
      url: "https://hooks.example.com/billify",
      enabled_events: ["invoice.paid"],
    });
    expect(response.status).toBe(201);
  });

  it("refuses at delivery too: the endpoint made before the guard went on gets nothing more", async () => {
    const before = received.filter((r) => r.path === guardedPath).length;
    const created = await call("POST", "/v1/customers", NEW_KEY, { email: "guarded@example.com" });
    expect(created.status).toBe(201);
    // The refused delivery is a failed one; with no retries in this configuration it is dead-lettered.
    const letters = await eventually(
      async () =>
        (await call("GET", "/v1/admin/dead_letters?limit=100", ADMIN)).json.data.filter(
          (d: { endpoint: string }) => d.endpoint === guardedHookId,
        ),
      (found) => found.length > 0,
    );
    expect(letters.map((d: { event_type: string }) => d.event_type)).toEqual(["customer.created"]);
    expect(received.filter((r) => r.path === guardedPath)).toHaveLength(before);
  });
});
