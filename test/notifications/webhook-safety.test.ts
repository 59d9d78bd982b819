import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/actors/env";
import { createApp } from "../../src/api/app";
import type { EventEnvelope, WebhookMessage } from "../../src/contract/messages";
import { verifySignature } from "../../src/notifications/webhooks/signature";
import { ENDPOINTS_KEY } from "../../src/notifications/webhooks/snapshot";
import type { ConsumerDeps } from "../../src/queues/consumer";
import { handleQueue } from "../../src/queues/consumer";
import { API_KEY, api, ok } from "../helpers";
import { received, receiverBase, uniquePath } from "./receiver";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

function event(): EventEnvelope {
  return {
    id: `evt_01KSAFE${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
    object: "event",
    type: "invoice.paid",
    created: "2026-06-01T12:00:00Z",
    data: { object: { id: "in_1", object: "invoice" } },
  };
}

/** One delivery through the consumer with `overrides` on the environment; every fetch is recorded. */
async function deliver(message: WebhookMessage, overrides: Partial<Env>) {
  const fetched: string[] = [];
  const deps: ConsumerDeps = {
    now: () => T0,
    fetch: (input, init) => {
      fetched.push(input);
      return fetch(input, init);
    },
    random: () => 0,
  };
  const batch = createMessageBatch<WebhookMessage>("billify-webhooks", [
    { id: "msg-1", timestamp: T0, attempts: 1, body: message },
  ]);
  await handleQueue(batch as MessageBatch<unknown>, { ...env, ...overrides }, deps);
  return { fetched, result: await getQueueResult(batch, createExecutionContext()) };
}

function post(url: string, overrides: Partial<Env>, host = "billify.test") {
  return createApp().fetch(
    new Request(`http://${host}/v1/webhook_endpoints`, {
      method: "POST",
      headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ url, enabled_events: ["*"] }),
    }),
    { ...env, ...overrides },
    createExecutionContext(),
  );
}

describe("webhook URL guard at creation", () => {
  const live = { BILLIFY_MODE: "live", STRIPE_SECRET_KEY: "sk_test_unused" };

  it("refuses in live mode a URL reaching inside, naming the host and its class", async () => {
    for (const [url, what] of [
      ["https://169.254.169.254/latest", "169.254.169.254 is link-local"],
      ["https://[::1]/", "[::1] is loopback"],
      ["https://10.1.2.3/", "10.1.2.3 is private"],
      ["https://2130706433/", "127.0.0.1 is loopback"],
      ["https://localhost/", "localhost is localhost"],
    ]) {
      const response = await post(url!, live);
      const body = (await response.json()) as { error: { code: string; param: string; message: string } };
      expect([url, response.status, body.error.code, body.error.param]).toEqual([url, 400, "url_not_allowed", "url"]);
      expect(body.error.message).toContain(what);
    }
  });

  it("refuses the service's own hostname, from the request and from BILLIFY_SERVICE_HOSTNAMES", async () => {
    const own = await post("https://billing.example.com/v1/customers", live, "billing.example.com");
    expect(own.status).toBe(400);
    const configured = await post("https://billify.acme.workers.dev/", {
      ...live,
      BILLIFY_SERVICE_HOSTNAMES: "billify.acme.workers.dev",
    });
    expect(configured.status).toBe(400);
    expect((await post("https://hooks.example.com/", live)).status).toBe(201);
  });

  it("lets test mode use local receivers unless BILLIFY_WEBHOOK_URL_GUARD=on", async () => {
    expect((await post("http://127.0.0.1:9/hooks", {})).status).toBe(201);
    expect((await post("http://127.0.0.1:9/hooks", { BILLIFY_WEBHOOK_URL_GUARD: "on" })).status).toBe(400);
  });
});

describe("webhook URL guard at delivery", () => {
  it("never fetches an endpoint whose URL the guard refuses now, and retries it as a failure", async () => {
    const path = uniquePath();
    const hook = await ok("POST", "/v1/webhook_endpoints", { url: `${receiverBase()}${path}`, enabled_events: ["*"] });
    const message: WebhookMessage = { kind: "webhook", endpoint: hook.id, event: event() };
    // The consumer reads endpoints from KV, written just after the commit: wait for it.
    for (let i = 0; i < 50 && (await deliver(message, {})).fetched.length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));

    const guarded = await deliver(message, { BILLIFY_WEBHOOK_URL_GUARD: "on" });
    expect(guarded.fetched).toEqual([]);
    expect(guarded.result.retryMessages.map((m) => m.msgId)).toEqual(["msg-1"]);

    const open = await deliver(message, {});
    expect(open.fetched).toEqual([`${receiverBase()}${path}`]);
    expect(open.result.explicitAcks).toEqual(["msg-1"]);
  });
});

describe("webhook secrets: out of KV, rolled with a grace period", () => {
  async function signedDelivery(hookId: string, path: string, nowMs = Date.now()) {
    const message: WebhookMessage = { kind: "webhook", endpoint: hookId, event: event() };
    const deps: ConsumerDeps = { now: () => nowMs, fetch: (input, init) => fetch(input, init), random: () => 0 };
    // The consumer reads endpoints from KV, written just after the commit: retry until it sees this one.
    for (let i = 0; i < 50; i++) {
      const batch = createMessageBatch<WebhookMessage>("billify-webhooks", [
        { id: "msg-1", timestamp: nowMs, attempts: 1, body: message },
      ]);
      await handleQueue(batch as MessageBatch<unknown>, env, deps);
      const requests = (await received(path)).filter((r) => r.body.includes(message.event.id));
      if (requests.length > 0)
        return { header: String(requests[0]!.headers["billify-signature"]), body: requests[0]!.body };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("never delivered");
  }

  it("keeps every secret out of the KV snapshot the consumer reads", async () => {
    const hook = await ok("POST", "/v1/webhook_endpoints", {
      url: `${receiverBase()}${uniquePath()}`,
      enabled_events: ["*"],
    });
    await ok("POST", `/v1/webhook_endpoints/${hook.id}/roll_secret`, {});
    let snapshot = "";
    for (let i = 0; i < 50 && !snapshot.includes(hook.id); i++) {
      snapshot = (await env.BILLIFY_KV.get(ENDPOINTS_KEY)) ?? "";
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(snapshot).toContain(hook.id);
    expect(snapshot).not.toContain("whsec_");
    expect(snapshot).not.toContain("secret");
  });

  it("signs with the new and the old secret during the grace period, then with the new one only", async () => {
    const path = uniquePath();
    const hook = await ok("POST", "/v1/webhook_endpoints", { url: `${receiverBase()}${path}`, enabled_events: ["*"] });
    const before = Date.now();
    const rolled = await ok("POST", `/v1/webhook_endpoints/${hook.id}/roll_secret`, {});
    expect(rolled.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(rolled.secret).not.toBe(hook.secret);
    const expires = Date.parse(rolled.previous_secret_expires);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 86_400_000);
    expect(expires).toBeLessThanOrEqual(before + 86_400_000 + 5_000);
    expect((await ok("GET", `/v1/webhook_endpoints/${hook.id}`)).secret).toBeUndefined();

    const during = await signedDelivery(hook.id, path);
    expect(during.header.match(/v1=/g)).toHaveLength(2);
    const now = Math.floor(Date.now() / 1000);
    expect(await verifySignature(during.header, during.body, rolled.secret, now)).toMatchObject({ ok: true });
    expect(await verifySignature(during.header, during.body, hook.secret, now)).toMatchObject({ ok: true });
    expect(await verifySignature(during.header, during.body, "whsec_other", now)).toMatchObject({ ok: false });

    // A day and a second later the old secret signs nothing.
    const later = await signedDelivery(hook.id, path, expires + 1_000);
    expect(later.header.match(/v1=/g)).toHaveLength(1);
    const t = Math.floor((expires + 1_000) / 1000);
    expect(await verifySignature(later.header, later.body, rolled.secret, t)).toMatchObject({ ok: true });
    expect(await verifySignature(later.header, later.body, hook.secret, t)).toMatchObject({ ok: false });
  });

  it("stops the old secret at once with expiration_seconds 0, and refuses bad input", async () => {
    const path = uniquePath();
    const hook = await ok("POST", "/v1/webhook_endpoints", { url: `${receiverBase()}${path}`, enabled_events: ["*"] });
    const rolled = await ok("POST", `/v1/webhook_endpoints/${hook.id}/roll_secret`, { expiration_seconds: 0 });
    expect(rolled.previous_secret_expires).toBeNull();
    const delivered = await signedDelivery(hook.id, path);
    expect(delivered.header.match(/v1=/g)).toHaveLength(1);
    const now = Math.floor(Date.now() / 1000);
    expect(await verifySignature(delivered.header, delivered.body, hook.secret, now)).toMatchObject({ ok: false });

    const negative = await api("POST", `/v1/webhook_endpoints/${hook.id}/roll_secret`, { expiration_seconds: -1 });
    expect([negative.status, negative.body.error.param]).toEqual([400, "expiration_seconds"]);
    const tooLong = await api("POST", `/v1/webhook_endpoints/${hook.id}/roll_secret`, { expiration_seconds: 700_000 });
    expect(tooLong.status).toBe(400);
    const missing = await api("POST", "/v1/webhook_endpoints/we_01JD00000000007ZZZZZZZZZZZZZ/roll_secret", {});
    expect([missing.status, missing.body.error.type]).toEqual([404, "not_found"]);
  });
});
