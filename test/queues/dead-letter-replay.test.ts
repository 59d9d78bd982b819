import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventEnvelope, WebhookMessage } from "../../src/contract/messages";
import { handleQueue } from "../../src/queues/consumer";
import { ADMIN_KEY, api, ok } from "../helpers";
import { eventually, received, receiverBase, uniquePath } from "../notifications/receiver";

function event(): EventEnvelope {
  return {
    id: `evt_01KDEAD${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
    object: "event",
    type: "invoice.paid",
    created: "2026-06-01T12:00:00Z",
    data: { object: { id: "in_1", object: "invoice" } },
  };
}

/** A webhook message that ran out of retries, recorded by the dead-letter consumer. */
async function deadLetter(endpoint: string): Promise<{ id: string; event: EventEnvelope }> {
  const message: WebhookMessage = { kind: "webhook", endpoint, event: event() };
  const batch = createMessageBatch<WebhookMessage>("billify-dead-letters", [
    { id: `m${crypto.randomUUID().replaceAll("-", "")}`, timestamp: Date.now(), attempts: 25, body: message },
  ]);
  await handleQueue(batch as MessageBatch<unknown>, env);
  const list = await ok("GET", "/v1/admin/dead_letters?limit=100", undefined, { key: ADMIN_KEY });
  const shown = list.data.find((d: { event: string }) => d.event === message.event.id);
  return { id: shown.id, event: message.event };
}

const admin = (method: string, path: string, body?: unknown) => api(method, path, body, { key: ADMIN_KEY });
const deliveriesOf = async (path: string, eventId: string) =>
  (await received(path)).filter((r) => r.body.includes(eventId));

describe("dead letters: replayed once", { timeout: 30_000 }, () => {
  it("lists a dead letter with its id and no message, and replays it once however often asked", async () => {
    const path = uniquePath();
    const hook = await ok("POST", "/v1/webhook_endpoints", { url: `${receiverBase()}${path}`, enabled_events: ["*"] });
    const letter = await deadLetter(hook.id);
    expect(letter.id).toMatch(/^dl_\d{13}_m[0-9a-f]{32}$/);
    const listed = (await admin("GET", "/v1/admin/dead_letters?limit=100")).body.data.find(
      (d: { id: string }) => d.id === letter.id,
    );
    expect(listed).toMatchObject({ kind: "webhook", endpoint: hook.id, attempts: 25, replayed: null });
    expect(listed.message).toBeUndefined();

    const first = await admin("POST", `/v1/admin/dead_letters/${letter.id}/replay`);
    expect([first.status, first.body.id, first.body.event]).toEqual([200, letter.id, letter.event.id]);
    expect(first.body.replayed).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const second = await admin("POST", `/v1/admin/dead_letters/${letter.id}/replay`);
    expect([second.status, second.body.replayed]).toEqual([200, first.body.replayed]);

    const delivered = await eventually(
      () => deliveriesOf(path, letter.event.id),
      (found) => found.length > 0,
    );
    expect(delivered).toHaveLength(1);
    // The second replay sent nothing: wait as long as the first took, and count again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await deliveriesOf(path, letter.event.id)).toHaveLength(1);
  });

  it("replays every dead letter of one endpoint not replayed yet, and only that endpoint's", async () => {
    const path = uniquePath();
    const hook = await ok("POST", "/v1/webhook_endpoints", { url: `${receiverBase()}${path}`, enabled_events: ["*"] });
    const other = await ok("POST", "/v1/webhook_endpoints", {
      url: `${receiverBase()}${uniquePath()}`,
      enabled_events: ["*"],
    });
    const [a, b, c] = [await deadLetter(hook.id), await deadLetter(hook.id), await deadLetter(other.id)];
    expect((await admin("POST", `/v1/admin/dead_letters/${a.id}/replay`)).status).toBe(200);

    const all = await admin("POST", "/v1/admin/dead_letters/replay", { endpoint: hook.id });
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ object: "dead_letter_replay", endpoint: hook.id, replayed: [b.id] });
    const again = await admin("POST", "/v1/admin/dead_letters/replay", { endpoint: hook.id });
    expect(again.body.replayed).toEqual([]);

    const delivered = await eventually(
      async () => [...(await deliveriesOf(path, a.event.id)), ...(await deliveriesOf(path, b.event.id))],
      (found) => found.length >= 2,
    );
    expect(delivered).toHaveLength(2);
    const untouched = (await admin("GET", "/v1/admin/dead_letters?limit=100")).body.data.find(
      (d: { id: string }) => d.id === c.id,
    );
    expect(untouched.replayed).toBeNull();
  });

  it("refuses to replay to a disabled endpoint (409), until it is re-enabled", async () => {
    const path = uniquePath();
    const hook = await ok("POST", "/v1/webhook_endpoints", { url: `${receiverBase()}${path}`, enabled_events: ["*"] });
    const letter = await deadLetter(hook.id);
    await ok("POST", `/v1/webhook_endpoints/${hook.id}`, { status: "disabled" });
    const refused = await admin("POST", `/v1/admin/dead_letters/${letter.id}/replay`);
    expect([refused.status, refused.body.error.code]).toEqual([409, "endpoint_not_enabled"]);
    await ok("POST", `/v1/webhook_endpoints/${hook.id}`, { status: "enabled" });
    expect((await admin("POST", `/v1/admin/dead_letters/${letter.id}/replay`)).status).toBe(200);
  });

  it("answers 404 for an unknown or malformed id, 403 to an API key, 400 for a bad endpoint", async () => {
    expect((await admin("POST", "/v1/admin/dead_letters/dl_9999999999999_nothere/replay")).status).toBe(404);
    expect((await admin("POST", "/v1/admin/dead_letters/../replay")).status).toBe(404);
    expect((await api("POST", "/v1/admin/dead_letters/dl_9999999999999_x/replay")).status).toBe(403);
    const bad = await admin("POST", "/v1/admin/dead_letters/replay", { endpoint: "nope" });
    expect([bad.status, bad.body.error.param]).toEqual([400, "endpoint"]);
  });
});
