/**
 * Issue 20 (operating it safely) over real HTTP: a `wrangler dev` of its own, started with the
 * operator's configuration under test (several keys per role, a read-only key), restarted on
 * the same storage with a key removed, as a rotation does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Service } from "../../scripts/service.mjs";
import { startService } from "../../scripts/service.mjs";

const OLD_KEY = "sk_test_ops_old";
const NEW_KEY = "sk_test_ops_new";
const ADMIN = "sk_admin_ops";
const READ_KEY = "rk_test_ops";
const KEYS = {
  BILLIFY_API_KEY: "",
  BILLIFY_ADMIN_KEY: "",
  BILLIFY_API_KEYS: `${NEW_KEY},${OLD_KEY}`,
  BILLIFY_ADMIN_KEYS: ADMIN,
  BILLIFY_READ_KEYS: READ_KEY,
};

let state = "";
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
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeReceiver = () => new Promise<void>((resolve) => server.close(() => resolve()));
  state = mkdtempSync(join(tmpdir(), "billify-ops-"));
  service = await startService({ persistTo: state, vars: KEYS });
});
afterAll(async () => {
  await service?.stop();
  await closeReceiver();
  if (state) rmSync(state, { recursive: true, force: true });
});

const guardedPath = "/guarded";

describe("API keys: rotation without downtime, read-only keys", () => {
  it("serves both keys of a rotation, then only the new one once the old is removed", async () => {
    // Before the restart (URL guard off, as in test mode): an endpoint on this machine gets events.
    const hook = await call("POST", "/v1/webhook_endpoints", ADMIN, {
      url: `${receiverUrl}${guardedPath}`,
      enabled_events: ["customer.created"],
    });
    expect(hook.status).toBe(201);
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
      vars: { ...KEYS, BILLIFY_API_KEYS: NEW_KEY, BILLIFY_WEBHOOK_URL_GUARD: "on" },
    });
    const old = await call("GET", `/v1/customers/${created.json.id}`, OLD_KEY);
    expect([old.status, old.json.error.type]).toEqual([401, "authentication_error"]);
    const still = await call("GET", `/v1/customers/${created.json.id}`, NEW_KEY);
    expect([still.status, still.json.id]).toEqual([200, created.json.id]);
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
    // The customer's event reaches the fan-out within a second or two; give it five, then look.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(received.filter((r) => r.path === guardedPath)).toHaveLength(before);
  });
});
