import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { routingKeyFromIdempotencyKey } from "../../src/lib/ids";
import type { ApiResponse } from "../helpers";
import { api, createCustomer, createPlan, ok, uniquePlanId } from "../helpers";
import { ABSENT, expectError } from "./expect";

let keyCounter = 0;
const newKey = () => `idem-${Date.now()}-${++keyCounter}-${crypto.randomUUID()}`;
const withKey = (key: string) => ({ headers: { "Idempotency-Key": key } });

async function subscription() {
  const plan = await createPlan({ amount: 1000 });
  const customer = await createCustomer();
  const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
  return { plan, customer, sub };
}

function expectReplay(first: ApiResponse, replay: ApiResponse) {
  expect(first.headers.get("Idempotent-Replayed")).toBeNull();
  expect(replay.status).toBe(first.status);
  expect(replay.body).toEqual(first.body);
  expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
}

describe("Idempotency-Key", () => {
  it("replays POST /v1/customers: same status and body, Idempotent-Replayed: true, one customer", async () => {
    const key = newKey();
    const body = { email: "idem@example.com", name: "Idem", metadata: { n: "1" } };
    const first = await api("POST", "/v1/customers", body, withKey(key));
    expect(first.status).toBe(201);
    const second = await api("POST", "/v1/customers", body, withKey(key));
    expectReplay(first, second);
    const third = await api("POST", "/v1/customers", body, withKey(key));
    expectReplay(first, third);
    expect(await ok("GET", `/v1/customers/${first.body.id}`)).toEqual(first.body);
    // Without a key, the same body makes a new customer.
    const fresh = await api("POST", "/v1/customers", body);
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(first.body.id);
  });

  it("does not care about the order of keys in the JSON body, nested included", async () => {
    const key = newKey();
    const first = await api("POST", "/v1/customers", undefined, {
      ...withKey(key),
      raw: '{"email":"order@example.com","name":"O","metadata":{"a":"1","b":"2"}}',
    });
    expect(first.status).toBe(201);
    const second = await api("POST", "/v1/customers", undefined, {
      ...withKey(key),
      raw: '{ "metadata": {"b":"2", "a":"1"}, "name": "O",\n "email": "order@example.com" }',
    });
    expectReplay(first, second);
  });

  it("answers the same key with another body with 422 idempotency_error and changes nothing", async () => {
    const key = newKey();
    const first = await api("POST", "/v1/customers", { email: "one@example.com" }, withKey(key));
    expect(first.status).toBe(201);
    expectError(
      await api("POST", "/v1/customers", { email: "two@example.com" }, withKey(key)),
      422,
      "idempotency_error",
    );
    expectError(await api("POST", "/v1/customers", {}, withKey(key)), 422, "idempotency_error");
    expect((await ok("GET", `/v1/customers/${first.body.id}`)).email).toBe("one@example.com");
    // The original request still replays.
    expectReplay(first, await api("POST", "/v1/customers", { email: "one@example.com" }, withKey(key)));
  });

  it("answers the same key on another route of the same subscription with 422", async () => {
    const { sub } = await subscription();
    const key = newKey();
    const item = await api(
      "POST",
      `/v1/subscriptions/${sub.id}/invoice_items`,
      { amount: 100, description: "x" },
      withKey(key),
    );
    expect(item.status).toBe(201);
    expectError(
      await api("POST", `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: true }, withKey(key)),
      422,
      "idempotency_error",
    );
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).cancel_at_period_end).toBe(false);
  });

  it("is scoped to the account: the same key on another object or another endpoint is 422 and runs nothing (docs/billing-rules.md, Conventions)", async () => {
    const a = await subscription();
    const b = await subscription();
    const key = newKey();
    const first = await api("POST", `/v1/subscriptions/${a.sub.id}/cancel`, { at_period_end: true }, withKey(key));
    expect(first.status).toBe(200);
    // Another object, same endpoint and body.
    expectError(
      await api("POST", `/v1/subscriptions/${b.sub.id}/cancel`, { at_period_end: true }, withKey(key)),
      422,
      "idempotency_error",
    );
    expect((await ok("GET", `/v1/subscriptions/${b.sub.id}`)).cancel_at_period_end).toBe(false);
    // Another endpoint: a create would make a new object; it makes none.
    expectError(
      await api("POST", "/v1/customers", { email: "scope@example.com" }, withKey(key)),
      422,
      "idempotency_error",
    );
    expectError(
      await api("POST", "/v1/plans", { name: "P", currency: "usd", amount: 1, interval: "month" }, withKey(key)),
      422,
      "idempotency_error",
    );
    const wouldBe = env.CUSTOMERS.getByName(await routingKeyFromIdempotencyKey("POST /v1/customers", key));
    expect(
      await runInDurableObject(wouldBe, (_i, state) =>
        state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'customer'").toArray(),
      ),
    ).toEqual([]);
    // The first request still replays.
    expectReplay(
      first,
      await api("POST", `/v1/subscriptions/${a.sub.id}/cancel`, { at_period_end: true }, withKey(key)),
    );
  });

  it("lets one key through once when concurrent requests under it name different objects", async () => {
    const subs = await Promise.all([subscription(), subscription(), subscription(), subscription()]);
    const key = newKey();
    const answers = await Promise.all(
      subs.map(({ sub }) => api("POST", `/v1/subscriptions/${sub.id}/cancel`, {}, withKey(key))),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 422, 422, 422]);
    const states = await Promise.all(subs.map(({ sub }) => ok("GET", `/v1/subscriptions/${sub.id}`)));
    expect(states.filter((s) => s.status === "canceled").length).toBe(1);
  });

  it("refuses a key longer than 255 characters with 400; 255 is accepted", async () => {
    const long = "k".repeat(256);
    const res = await api("POST", "/v1/customers", {}, withKey(long));
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe("invalid_request_error");
    expect(String(res.body.error.param).toLowerCase()).toBe("idempotency-key");
    const max = `${newKey()}`.padEnd(255, "x");
    const first = await api("POST", "/v1/customers", {}, withKey(max));
    expect(first.status).toBe(201);
    expectReplay(first, await api("POST", "/v1/customers", {}, withKey(max)));
  });

  it("refuses an empty key with 400", async () => {
    const res = await api("POST", "/v1/customers", {}, withKey(""));
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe("invalid_request_error");
  });

  it("replays POST /v1/plans without an id: one plan, the same generated id", async () => {
    const key = newKey();
    const name = `Idem plan ${key}`;
    const body = { name, currency: "usd", amount: 700, interval: "week" };
    const first = await api("POST", "/v1/plans", body, withKey(key));
    expect(first.status).toBe(201);
    const second = await api("POST", "/v1/plans", body, withKey(key));
    expectReplay(first, second);
    const all = await ok("GET", "/v1/plans?limit=100");
    expect(all.data.filter((p: { name: string }) => p.name === name)).toHaveLength(1);
  });

  it("replays POST /v1/plans with a client id instead of answering 409", async () => {
    const key = newKey();
    const body = { id: uniquePlanId("idem"), name: "P", currency: "usd", amount: 700, interval: "month" };
    const first = await api("POST", "/v1/plans", body, withKey(key));
    expect(first.status).toBe(201);
    expectReplay(first, await api("POST", "/v1/plans", body, withKey(key)));
    // Without the key, the duplicate is a conflict.
    expectError(await api("POST", "/v1/plans", body), 409, "conflict", "id");
  });

  it("replays POST /v1/subscriptions: one subscription, one invoice", async () => {
    const plan = await createPlan({ amount: 1200 });
    const customer = await createCustomer();
    const key = newKey();
    const body = { customer: customer.id, plan: plan.id, quantity: 2 };
    const first = await api("POST", "/v1/subscriptions", body, withKey(key));
    expect(first.status).toBe(201);
    expect(first.body.status).toBe("active");
    const second = await api(
      "POST",
      "/v1/subscriptions",
      { quantity: 2, plan: plan.id, customer: customer.id },
      withKey(key),
    );
    expectReplay(first, second);
    const subs = await ok("GET", `/v1/customers/${customer.id}/subscriptions`);
    expect(subs.data.map((s: { id: string }) => s.id)).toEqual([first.body.id]);
    const invoices = await ok("GET", `/v1/subscriptions/${first.body.id}/invoices`);
    expect(invoices.data).toHaveLength(1);
    expect(invoices.data[0].amount_due).toBe(2400);
  });

  it("replays POST /v1/subscriptions/{id}/invoice_items: one pending line, billed once", async () => {
    const { sub } = await subscription();
    const key = newKey();
    const body = { amount: 450, description: "Setup fee" };
    const first = await api("POST", `/v1/subscriptions/${sub.id}/invoice_items`, body, withKey(key));
    expect(first.status).toBe(201);
    expect(first.body.object).toBe("line_item");
    expect(first.body.type).toBe("invoice_item");
    expect(first.body.amount).toBe(450);
    const second = await api("POST", `/v1/subscriptions/${sub.id}/invoice_items`, body, withKey(key));
    expectReplay(first, second);
    const invoice = await api("POST", `/v1/subscriptions/${sub.id}/invoices`, {});
    expect(invoice.status).toBe(201);
    expect(invoice.body.billing_reason).toBe("manual");
    const items = invoice.body.lines.filter((l: { type: string }) => l.type === "invoice_item");
    expect(items).toHaveLength(1);
    expect(invoice.body.lines).toHaveLength(1);
    expect(items[0].amount).toBe(450);
    expect(items[0].description).toBe("Setup fee");
    expect(invoice.body.total).toBe(450);
    // A replay after billing still answers the stored response and adds nothing.
    expectReplay(first, await api("POST", `/v1/subscriptions/${sub.id}/invoice_items`, body, withKey(key)));
    expectError(await api("POST", `/v1/subscriptions/${sub.id}/invoices`, {}), 400, "invalid_request_error");
  });

  it("replays POST /v1/subscriptions/{id}/invoices: one invoice", async () => {
    const { sub } = await subscription();
    await ok("POST", `/v1/subscriptions/${sub.id}/invoice_items`, { amount: 300, description: "a" });
    const key = newKey();
    const first = await api("POST", `/v1/subscriptions/${sub.id}/invoices`, {}, withKey(key));
    expect(first.status).toBe(201);
    expectReplay(first, await api("POST", `/v1/subscriptions/${sub.id}/invoices`, {}, withKey(key)));
    const invoices = await ok("GET", `/v1/subscriptions/${sub.id}/invoices`);
    expect(invoices.data).toHaveLength(2);
  });

  it("replays an error outcome from the actor (400), even after the cause is gone", async () => {
    const { sub } = await subscription();
    const key = newKey();
    const first = await api("POST", `/v1/subscriptions/${sub.id}/invoices`, {}, withKey(key));
    expectError(first, 400, "invalid_request_error");
    await ok("POST", `/v1/subscriptions/${sub.id}/invoice_items`, { amount: 100, description: "now pending" });
    const replay = await api("POST", `/v1/subscriptions/${sub.id}/invoices`, {}, withKey(key));
    expectReplay(first, replay);
    // A new key runs the request.
    expect((await api("POST", `/v1/subscriptions/${sub.id}/invoices`, {}, withKey(newKey()))).status).toBe(201);
  });

  it("replays a 400 for an unknown customer on POST /v1/subscriptions", async () => {
    const plan = await createPlan();
    const key = newKey();
    const body = { customer: ABSENT.customer, plan: plan.id };
    const first = await api("POST", "/v1/subscriptions", body, withKey(key));
    expectError(first, 400, "invalid_request_error", "customer");
    expectReplay(first, await api("POST", "/v1/subscriptions", body, withKey(key)));
  });

  it("does not store a request refused by validation: a corrected retry under the same key runs", async () => {
    const key = newKey();
    expectError(
      await api("POST", "/v1/customers", { email: "bad" }, withKey(key)),
      400,
      "invalid_request_error",
      "email",
    );
    const fixed = await api("POST", "/v1/customers", { email: "good@example.com" }, withKey(key));
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("PATCH ignores Idempotency-Key (only POSTs are idempotent by key); PATCH is naturally idempotent", async () => {
    const c = await createCustomer();
    const key = newKey();
    const a = await api("PATCH", `/v1/customers/${c.id}`, { name: "A" }, withKey(key));
    const b = await api("PATCH", `/v1/customers/${c.id}`, { name: "B" }, withKey(key));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.name).toBe("B");
  });
});

describe("concurrent requests with one Idempotency-Key", () => {
  function checkConcurrent(responses: ApiResponse[], createdStatus: number) {
    const successes = responses.filter((r) => r.status === createdStatus);
    expect(successes.length).toBeGreaterThanOrEqual(1);
    const ids = new Set(successes.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of successes) expect(r.body).toEqual(successes[0]!.body);
    // Exactly one ran; every other one is a replay or a 409.
    expect(successes.filter((r) => r.headers.get("Idempotent-Replayed") === null)).toHaveLength(1);
    for (const r of responses) {
      if (r.status === createdStatus) continue;
      expectError(r, 409, "conflict");
    }
    return successes[0]!.body;
  }

  it("POST /v1/customers ×5: one customer", async () => {
    const key = newKey();
    const body = { email: "race@example.com" };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api("POST", "/v1/customers", body, withKey(key))),
    );
    const customer = checkConcurrent(responses, 201);
    expectReplayOf(customer, await api("POST", "/v1/customers", body, withKey(key)));
  });

  it("POST /v1/subscriptions ×5: one subscription, one invoice", async () => {
    const plan = await createPlan({ amount: 900 });
    const customer = await createCustomer();
    const key = newKey();
    const body = { customer: customer.id, plan: plan.id };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api("POST", "/v1/subscriptions", body, withKey(key))),
    );
    const sub = checkConcurrent(responses, 201);
    const subs = await ok("GET", `/v1/customers/${customer.id}/subscriptions`);
    expect(subs.data.map((s: { id: string }) => s.id)).toEqual([sub.id]);
    expect((await ok("GET", `/v1/subscriptions/${sub.id}/invoices`)).data).toHaveLength(1);
    expectReplayOf(sub, await api("POST", "/v1/subscriptions", body, withKey(key)));
  });

  it("POST /v1/subscriptions/{id}/invoice_items ×5: one pending line", async () => {
    const { sub } = await subscription();
    const key = newKey();
    const body = { amount: 250, description: "race" };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api("POST", `/v1/subscriptions/${sub.id}/invoice_items`, body, withKey(key))),
    );
    const line = checkConcurrent(responses, 201);
    expect(line.amount).toBe(250);
    const invoice = await ok("POST", `/v1/subscriptions/${sub.id}/invoices`, {});
    expect(
      invoice.lines.map((l: { type: string; amount: number; description: string }) => [
        l.type,
        l.amount,
        l.description,
      ]),
    ).toEqual([["invoice_item", 250, "race"]]);
    expect(invoice.total).toBe(250);
  });

  it("POST /v1/plans ×5 (generated id): one plan", async () => {
    const key = newKey();
    const name = `Race ${key}`;
    const body = { name, currency: "usd", amount: 100, interval: "day" };
    const responses = await Promise.all(Array.from({ length: 5 }, () => api("POST", "/v1/plans", body, withKey(key))));
    checkConcurrent(responses, 201);
    const all = await ok("GET", "/v1/plans?limit=100");
    expect(all.data.filter((p: { name: string }) => p.name === name)).toHaveLength(1);
  });
});

function expectReplayOf(body: unknown, replay: ApiResponse) {
  expect(replay.status).toBe(201);
  expect(replay.body).toEqual(body);
  expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
}
