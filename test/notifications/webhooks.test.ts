import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app";
import type { EventEnvelope, WebhookMessage } from "../../src/contract/messages";
import { backoffSeconds } from "../../src/notifications/webhooks/deliver";
import type { ConsumerDeps } from "../../src/queues/consumer";
import { handleQueue } from "../../src/queues/consumer";
import { API_KEY, api, ok } from "../helpers";
import { received, receiverBase, script, uniquePath } from "./receiver";

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

function event(id = `evt_01KTEST${Math.random().toString(36).slice(2, 10).toUpperCase()}`): EventEnvelope {
  return {
    id,
    object: "event",
    type: "invoice.paid",
    created: "2026-06-01T12:00:00Z",
    data: { object: { id: "in_1", object: "invoice", amount_paid: 2000 } },
  };
}

async function endpointAt(path: string, events: string[] = ["*"]) {
  return ok("POST", "/v1/webhook_endpoints", { url: `${receiverBase()}${path}`, enabled_events: events });
}

/** Runs one delivery attempt through the consumer, as the queue would with `attempts`. */
async function deliverOnce(message: WebhookMessage, attempts: number, nowMs: number, random = 0) {
  const batch = createMessageBatch<WebhookMessage>("billify-webhooks", [
    { id: `msg-${attempts}`, timestamp: nowMs, attempts, body: message },
  ]);
  const ctx = createExecutionContext();
  const deps: ConsumerDeps = { now: () => nowMs, fetch: (input, init) => fetch(input, init), random: () => random };
  await handleQueue(batch as MessageBatch<unknown>, env, deps);
  return getQueueResult(batch, ctx);
}

describe("webhook delivery", { timeout: 30_000 }, () => {
  it("retries a receiver that fails twice, each time with the same event id, then acks: one event after dedupe", async () => {
    const path = uniquePath();
    const hook = await endpointAt(path);
    await script(path, [{ status: 500 }, { status: 503 }]);
    const message: WebhookMessage = { kind: "webhook", endpoint: hook.id, event: event() };

    const first = await deliverOnce(message, 1, T0);
    // The delays themselves (30 s, then 60 s) are checked below, on backoffSeconds.
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(["msg-1"]);
    const second = await deliverOnce(message, 2, T0 + 30_000);
    expect(second.retryMessages.map((m) => m.msgId)).toEqual(["msg-2"]);
    const third = await deliverOnce(message, 3, T0 + 90_000);
    expect(third.retryMessages).toEqual([]);
    expect(third.explicitAcks).toEqual(["msg-3"]);

    const requests = await received(path);
    expect(requests.map((r) => r.headers["billify-event-id"])).toEqual([
      message.event.id,
      message.event.id,
      message.event.id,
    ]);
    const distinct = new Set(requests.map((r) => (JSON.parse(r.body) as EventEnvelope).id));
    expect(distinct.size).toBe(1);
    // The first failure started the endpoint's failure clock; the success stopped it.
    const after = await ok("GET", `/v1/webhook_endpoints/${hook.id}`);
    expect(after.status).toBe("enabled");
  });

  it("disables an endpoint whose deliveries have all failed for 3 days (simulated time), and re-enables on request", async () => {
    const path = uniquePath();
    const hook = await endpointAt(path);
    await script(
      path,
      Array.from({ length: 4 }, () => ({ status: 500 })),
    );
    const message: WebhookMessage = { kind: "webhook", endpoint: hook.id, event: event() };

    expect((await deliverOnce(message, 1, T0)).retryMessages).toHaveLength(1);
    expect((await deliverOnce(message, 8, T0 + DAY_MS)).retryMessages).toHaveLength(1);
    expect((await deliverOnce(message, 12, T0 + 3 * DAY_MS - 1000)).retryMessages).toHaveLength(1);
    expect((await ok("GET", `/v1/webhook_endpoints/${hook.id}`)).status).toBe("enabled");

    const last = await deliverOnce(message, 16, T0 + 3 * DAY_MS);
    expect(last.retryMessages).toEqual([]);
    expect(last.explicitAcks).toEqual(["msg-16"]);
    expect((await ok("GET", `/v1/webhook_endpoints/${hook.id}`)).status).toBe("disabled");
    expect(await received(path)).toHaveLength(4);

    // Disabled: a new delivery is dropped without a request.
    expect((await deliverOnce({ ...message, event: event() }, 1, T0 + 3 * DAY_MS + 1000)).explicitAcks).toEqual([
      "msg-1",
    ]);
    expect(await received(path)).toHaveLength(4);

    // Re-enabled: the failure clock starts over and deliveries flow again.
    expect((await ok("POST", `/v1/webhook_endpoints/${hook.id}`, { status: "enabled" })).status).toBe("enabled");
    await script(path, [{ status: 500 }]);
    expect((await deliverOnce(message, 1, T0 + 4 * DAY_MS)).retryMessages).toHaveLength(1);
    expect((await ok("GET", `/v1/webhook_endpoints/${hook.id}`)).status).toBe("enabled");
    expect((await deliverOnce(message, 2, T0 + 4 * DAY_MS + 60_000)).explicitAcks).toEqual(["msg-2"]);
  });

  it("keeps an endpoint that recovered within the 3 days enabled", async () => {
    const path = uniquePath();
    const hook = await endpointAt(path);
    await script(path, [{ status: 500 }, { status: 200 }, { status: 500 }]);
    const message: WebhookMessage = { kind: "webhook", endpoint: hook.id, event: event() };
    await deliverOnce(message, 1, T0);
    await deliverOnce(message, 2, T0 + 2 * DAY_MS);
    const later = await deliverOnce({ ...message, event: event() }, 1, T0 + 3 * DAY_MS + 1000);
    expect(later.retryMessages).toHaveLength(1);
    expect((await ok("GET", `/v1/webhook_endpoints/${hook.id}`)).status).toBe("enabled");
  });

  it("never lets a slow endpoint hold up another endpoint's delivery", async () => {
    const slow = uniquePath();
    const fast = uniquePath();
    const slowHook = await endpointAt(slow);
    const fastHook = await endpointAt(fast);
    await script(slow, [{ status: 200, delayMs: 2000 }]);
    const shared = event();
    const batch = createMessageBatch<WebhookMessage>("billify-webhooks", [
      { id: "slow", timestamp: T0, attempts: 1, body: { kind: "webhook", endpoint: slowHook.id, event: shared } },
      { id: "fast", timestamp: T0, attempts: 1, body: { kind: "webhook", endpoint: fastHook.id, event: shared } },
    ]);
    const started = Date.now();
    await handleQueue(batch as MessageBatch<unknown>, env);
    const result = await getQueueResult(batch, createExecutionContext());
    expect([...result.explicitAcks].sort()).toEqual(["fast", "slow"]);
    const [fastRequest] = await received(fast);
    const [slowRequest] = await received(slow);
    // Both were sent at once; the fast one did not wait for the slow one's answer.
    expect(Math.abs(fastRequest!.at - slowRequest!.at)).toBeLessThan(1000);
    expect(fastRequest!.at - started).toBeLessThan(1500);
  });

  it("drops deliveries to an endpoint deleted since the fan-out", async () => {
    const path = uniquePath();
    const hook = await endpointAt(path);
    expect(await ok("DELETE", `/v1/webhook_endpoints/${hook.id}`)).toEqual({
      id: hook.id,
      object: "webhook_endpoint",
      deleted: true,
    });
    const result = await deliverOnce({ kind: "webhook", endpoint: hook.id, event: event() }, 1, T0);
    expect(result.explicitAcks).toEqual(["msg-1"]);
    expect(await received(path)).toEqual([]);
  });

  it("backs off exponentially from 30 s to the 12-hour cap, with up to a quarter of jitter, spanning more than 3 days", () => {
    expect([1, 2, 3, 4, 11, 12, 24].map((n) => backoffSeconds(n, () => 0))).toEqual([
      30, 60, 120, 240, 30_720, 43_200, 43_200,
    ]);
    expect(backoffSeconds(1, () => 1)).toBe(23);
    expect(backoffSeconds(12, () => 0.999_999)).toBe(32_401);
    let least = 0;
    for (let n = 1; n <= 24; n++) least += backoffSeconds(n, () => 0.999_999);
    expect(least).toBeGreaterThan(3 * 86_400);
  });
});

describe("webhook endpoint routes", () => {
  it("creates with a whsec_ secret shown once, lists newest first with cursors, updates and deletes", async () => {
    const created = await api("POST", "/v1/webhook_endpoints", {
      url: "https://example.com/a",
      enabled_events: ["invoice.paid"],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: "webhook_endpoint",
      url: "https://example.com/a",
      enabled_events: ["invoice.paid"],
      status: "enabled",
      metadata: {},
    });
    expect(created.body.id).toMatch(/^we_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(created.body.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const fetched = await ok("GET", `/v1/webhook_endpoints/${created.body.id}`);
    expect(fetched.secret).toBeUndefined();
    expect(fetched.url).toBe("https://example.com/a");

    const second = await ok("POST", "/v1/webhook_endpoints", { url: "https://example.com/b", enabled_events: ["*"] });
    const page1 = await ok("GET", "/v1/webhook_endpoints?limit=1");
    expect(page1.data.map((e: { id: string }) => e.id)).toEqual([second.id]);
    expect(page1.has_more).toBe(true);
    const page2 = await ok("GET", `/v1/webhook_endpoints?limit=1&cursor=${page1.next_cursor}`);
    expect(page2.data.map((e: { id: string }) => e.id)).toContain(created.body.id);
    expect(page2.data.every((e: { secret?: string }) => e.secret === undefined)).toBe(true);

    const updated = await ok("POST", `/v1/webhook_endpoints/${created.body.id}`, {
      url: "https://example.com/c",
      enabled_events: ["*"],
      status: "disabled",
    });
    expect(updated).toMatchObject({ url: "https://example.com/c", enabled_events: ["*"], status: "disabled" });
    expect(await ok("DELETE", `/v1/webhook_endpoints/${created.body.id}`)).toEqual({
      id: created.body.id,
      object: "webhook_endpoint",
      deleted: true,
    });
    expect((await api("GET", `/v1/webhook_endpoints/${created.body.id}`)).status).toBe(404);
  });

  it("refuses bad input with a 4xx naming the field", async () => {
    const ftp = await api("POST", "/v1/webhook_endpoints", { url: "ftp://example.com/x", enabled_events: ["*"] });
    expect(ftp.status).toBe(400);
    expect(ftp.body.error).toMatchObject({ type: "invalid_request_error", code: "parameter_invalid", param: "url" });
    const unknownType = await api("POST", "/v1/webhook_endpoints", {
      url: "https://example.com/x",
      enabled_events: ["invoice.exploded"],
    });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.error.param).toMatch(/^enabled_events/);
    const missing = await api("POST", "/v1/webhook_endpoints", { url: "https://example.com/x" });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "parameter_missing", param: "enabled_events" });
    const badStatus = await api("POST", "/v1/webhook_endpoints/we_01KAAAAAAAAAAAAAAAAAAAAAAA", { status: "paused" });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.param).toBe("status");
    expect((await api("GET", "/v1/webhook_endpoints/nope")).status).toBe(404);
    expect((await api("GET", "/v1/webhook_endpoints/we_01KAAAAAAAAAAAAAAAAAAAAAAA")).status).toBe(404);
    const cursor = await api("GET", "/v1/webhook_endpoints?cursor=garbage");
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.param).toBe("cursor");
  });

  it("accepts only https:// URLs in live mode", async () => {
    const live = { ...env, BILLIFY_MODE: "live", STRIPE_SECRET_KEY: "sk_test_unused" };
    const post = (url: string) =>
      createApp().fetch(
        new Request("http://billify.test/v1/webhook_endpoints", {
          method: "POST",
          headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
          body: JSON.stringify({ url, enabled_events: ["*"] }),
        }),
        live,
        createExecutionContext(),
      );
    const plain = await post("http://example.com/hooks");
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { error: unknown }).error).toMatchObject({
      code: "parameter_invalid",
      param: "url",
      message: "url must be an https:// URL in live mode.",
    });
    const secure = await post("https://example.com/hooks");
    expect(secure.status).toBe(201);
  });

  it("replays a create under the same Idempotency-Key: the same endpoint and secret, no second one", async () => {
    const body = { url: "https://example.com/idem", enabled_events: ["invoice.paid"] };
    const first = await api("POST", "/v1/webhook_endpoints", body, { headers: { "Idempotency-Key": "we-idem-1" } });
    const again = await api("POST", "/v1/webhook_endpoints", body, { headers: { "Idempotency-Key": "we-idem-1" } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const all = await ok("GET", "/v1/webhook_endpoints?limit=100");
    expect(all.data.filter((e: { url: string }) => e.url === "https://example.com/idem")).toHaveLength(1);
  });
});
