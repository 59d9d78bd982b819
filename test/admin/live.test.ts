import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mintLiveToken } from "../../src/api/live";
import { expectError } from "../api/expect";
import { ADMIN_KEY, api, createCustomer, createPlan, ok } from "../helpers";
import { eventually } from "../poll";

const admin = { key: ADMIN_KEY };

async function subscription() {
  const customer = await createCustomer();
  const plan = await createPlan();
  return ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
}

async function connect(path: string): Promise<Response> {
  return exports.default.fetch(new Request(`http://billify.test${path}`, { headers: { Upgrade: "websocket" } }));
}

/** Collects the JSON messages of an accepted socket. */
function messages(socket: WebSocket) {
  const received: any[] = [];
  socket.addEventListener("message", (event) => {
    received.push(JSON.parse(event.data as string));
  });
  socket.accept();
  return received;
}

/** Waits for the socket's messages to satisfy `check`. */
const until = (check: () => boolean) =>
  eventually(check, (met) => met, { intervalMs: 20, what: "a WebSocket message" });

describe("live subscription pages (partyserver WebSocket to the subscription's actor)", () => {
  it("opens with a token minted by the admin API and receives every committed change", async () => {
    const sub = await subscription();
    const minted = await ok("POST", "/v1/admin/live_tokens", { subscription: sub.id }, admin);
    expect(minted).toMatchObject({
      object: "live_token",
      subscription: sub.id,
      url: expect.stringMatching(/^\/parties\/subscriptions\/[0-9A-Z]{16}\?token=/),
    });
    expect(minted.url).not.toContain(ADMIN_KEY);
    const response = await connect(minted.url);
    expect(response.status).toBe(101);
    const received = messages(response.webSocket!);
    await until(() => received.length >= 1);
    expect(received[0]).toMatchObject({ type: "hello", subscription: sub.id });
    await ok("POST", `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: true });
    await until(() => received.some((m) => m.type === "subscription.changed"));
    expect(received.find((m) => m.type === "subscription.changed")).toMatchObject({
      subscription: sub.id,
      version: received[0].version + 1,
    });
    response.webSocket!.close();
  }, 30_000);

  it("refuses a missing, forged, expired or other subscription's token, and plain HTTP", async () => {
    const sub = await subscription();
    const other = await subscription();
    const key = sub.id.slice(-16);
    expect((await connect(`/parties/subscriptions/${key}`)).status).toBe(401);
    const forged = await mintLiveToken("not-the-admin-key", sub.id, Date.now());
    expect((await connect(forged.path)).status).toBe(401);
    const expired = await mintLiveToken(ADMIN_KEY, sub.id, Date.now() - 120_000);
    expect((await connect(expired.path)).status).toBe(401);
    const otherToken = await ok("POST", "/v1/admin/live_tokens", { subscription: other.id }, admin);
    expect((await connect(`/parties/subscriptions/${key}?token=${encodeURIComponent(otherToken.token)}`)).status).toBe(
      401,
    );
    expect((await connect(`/parties/customers/${key}?token=${encodeURIComponent(otherToken.token)}`)).status).toBe(404);
    const plain = await exports.default.fetch(new Request(`http://billify.test${otherToken.url}`));
    expect(plain.status).toBe(426);
  }, 30_000);

  it("mints tokens for admins only, for subscriptions that exist", async () => {
    const sub = await subscription();
    expectError(await api("POST", "/v1/admin/live_tokens", { subscription: sub.id }), 403, "permission_error");
    expectError(
      await api("POST", "/v1/admin/live_tokens", { subscription: "sub_01KZZZZZZZZZZZZZZZZZZZZZZZ" }, admin),
      404,
      "not_found",
      "subscription",
    );
    expectError(await api("POST", "/v1/admin/live_tokens", {}, admin), 400, "invalid_request_error", "subscription");
  }, 30_000);
});
