/**
 * A webhook secret roll over real HTTP: during the grace period a local receiver holding either
 * the old or the new secret verifies the same delivery (clients/billify-signature.mjs).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyBillifySignature } from "../../clients/billify-signature.mjs";
import { api } from "./client";

const deliveries: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
let receiverUrl = "";
let close: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      deliveries.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

async function deliveryOf(path: string, customerId: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = deliveries.find((d) => d.path === path && d.body.includes(customerId));
    if (found || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("webhook secret roll over real HTTP", () => {
  it("signs with both secrets during the grace period; the receiver verifies with either", async () => {
    const hook = await api("POST", "/v1/webhook_endpoints", {
      body: { url: `${receiverUrl}/grace`, enabled_events: ["customer.created"] },
    });
    expect(hook.status).toBe(201);
    const rolled = await api("POST", `/v1/webhook_endpoints/${hook.json.id}/roll_secret`);
    expect([rolled.status, rolled.json.id]).toEqual([200, hook.json.id]);
    expect(rolled.json.secret).toMatch(/^whsec_/);
    expect(rolled.json.secret).not.toBe(hook.json.secret);
    expect(Date.parse(rolled.json.previous_secret_expires) - Date.now()).toBeGreaterThan(86_300_000);

    const customer = await api("POST", "/v1/customers", { body: { email: "roll@example.com" } });
    const delivery = await deliveryOf("/grace", customer.json.id);
    expect(delivery).toBeDefined();
    const header = String(delivery!.headers["billify-signature"]);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const withNew = verifyBillifySignature(delivery!.body, header, rolled.json.secret);
    const withOld = verifyBillifySignature(delivery!.body, header, hook.json.secret);
    expect([withNew.data.object.id, withOld.data.object.id]).toEqual([customer.json.id, customer.json.id]);
    expect(() => verifyBillifySignature(delivery!.body, header, "whsec_wrong")).toThrow(/does not match/);
  });

  it("ends the old secret at once with expiration_seconds 0", async () => {
    const hook = await api("POST", "/v1/webhook_endpoints", {
      body: { url: `${receiverUrl}/now`, enabled_events: ["customer.created"] },
    });
    const rolled = await api("POST", `/v1/webhook_endpoints/${hook.json.id}/roll_secret`, {
      body: { expiration_seconds: 0 },
    });
    expect([rolled.status, rolled.json.previous_secret_expires]).toEqual([200, null]);
    const customer = await api("POST", "/v1/customers", { body: { email: "roll-now@example.com" } });
    const delivery = await deliveryOf("/now", customer.json.id);
    const header = String(delivery!.headers["billify-signature"]);
    expect(header.match(/v1=/g)).toHaveLength(1);
    expect(() => verifyBillifySignature(delivery!.body, header, rolled.json.secret)).not.toThrow();
    expect(() => verifyBillifySignature(delivery!.body, header, hook.json.secret)).toThrow(/does not match/);
  });
});
