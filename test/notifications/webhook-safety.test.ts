import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import type { Env } from "../../src/env";
import type { ConsumerDeps } from "../../src/notifications/consumer";
import { handleQueue } from "../../src/notifications/consumer";
import type { EventEnvelope, WebhookMessage } from "../../src/notifications/messages";
import { API_KEY, ok } from "../helpers";
import { receiverBase, uniquePath } from "./receiver";

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
