/**
 * Requests exactly as curl sends them, against `wrangler dev`: what an in-process `Request`
 * cannot show (curl's `-XPOST` with no body hands the Worker an empty stream, `-d` without a
 * Content-Type is a form post).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "./client";
import { curl } from "./shell.mjs";

const K = "Authorization: Bearer sk_test_local";
const J = "Content-Type: application/json";
let B: string;
let planId: string;

async function post(path: string, json: unknown, extra: string[] = []) {
  const res = await curl(["-XPOST", `${B}${path}`, "-H", K, "-H", J, "-d", JSON.stringify(json), ...extra]);
  if (res.status >= 300) throw new Error(`POST ${path} → ${res.status} ${res.text}`);
  return res.json;
}

function expectError(res: { status: number; json: any }, status: number, code: string, param?: string) {
  expect({ status: res.status, code: res.json?.error?.code, param: res.json?.error?.param }).toEqual({
    status,
    code,
    param,
  });
  expect(res.json.error.message).toEqual(expect.any(String));
}

/** A subscription whose first invoice failed (so /pay, /void and /mark_uncollectible have an open invoice). */
async function subscription(paymentMethod = "pm_card_visa") {
  const customer = await post("/v1/customers", { payment_method: paymentMethod });
  return post("/v1/subscriptions", { customer: customer.id, plan: planId });
}

beforeAll(async () => {
  B = serviceUrl();
  planId = (await post("/v1/plans", { name: "Curl", currency: "usd", amount: 1500, interval: "month" })).id;
});

describe("POSTs whose fields are all optional take no body, over real HTTP", () => {
  it("resume and cancel: with no body and no Content-Type, and with a Content-Type but no body", async () => {
    const sub = await subscription();
    await post(`/v1/subscriptions/${sub.id}/cancel`, { at_period_end: true });
    const resumed = await curl(["-XPOST", `${B}/v1/subscriptions/${sub.id}/resume`, "-H", K]);
    expect(resumed.status).toBe(200);
    expect(resumed.json).toMatchObject({
      id: sub.id,
      status: "active",
      cancel_at_period_end: false,
      canceled_at: null,
    });
    await post(`/v1/subscriptions/${sub.id}/cancel`, { at_period_end: true });
    const again = await curl(["-XPOST", `${B}/v1/subscriptions/${sub.id}/resume`, "-H", K, "-H", J]);
    expect(again.status).toBe(200);
    expect(again.json.cancel_at_period_end).toBe(false);
    const canceled = await curl(["-XPOST", `${B}/v1/subscriptions/${sub.id}/cancel`, "-H", K]);
    expect(canceled.status).toBe(200);
    // No body: every default applies (at_period_end false: canceled now).
    expect(canceled.json).toMatchObject({ status: "canceled", cancel_at_period_end: false });
  });

  it("pay, void and mark_uncollectible on an open invoice", async () => {
    for (const [action, status] of [
      ["pay", "open"],
      ["void", "void"],
      ["mark_uncollectible", "uncollectible"],
    ] as const) {
      const sub = await subscription("pm_card_chargeDeclined");
      expect(sub.status).toBe("incomplete");
      const res = await curl(["-XPOST", `${B}/v1/invoices/${sub.latest_invoice}/${action}`, "-H", K]);
      expect(`${action} ${res.status}`).toBe(`${action} 200`);
      expect(res.json).toMatchObject({ id: sub.latest_invoice, status });
    }
  });

  it("POST …/invoices with no body bills the pending lines (and says when there are none)", async () => {
    const sub = await subscription();
    expectError(await curl(["-XPOST", `${B}/v1/subscriptions/${sub.id}/invoices`, "-H", K]), 400, "nothing_to_invoice");
    await post(`/v1/subscriptions/${sub.id}/invoice_items`, { amount: 250, description: "Setup" });
    const res = await curl(["-XPOST", `${B}/v1/subscriptions/${sub.id}/invoices`, "-H", K]);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ object: "invoice", billing_reason: "manual", total: 250, status: "paid" });
  });

  it("an empty JSON object is the same as no body", async () => {
    const sub = await subscription();
    const res = await curl(["-XPOST", `${B}/v1/subscriptions/${sub.id}/cancel`, "-H", K, "-H", J, "-d", "{}"]);
    expect(res.json).toMatchObject({ status: "canceled" });
  });
});

describe("bodies that are not what the API takes", () => {
  it("-d without a Content-Type (a form post) is 415, with JSON in it or a form", async () => {
    for (const body of ['{"name":"Pro","currency":"usd","amount":2000,"interval":"month"}', "name=Pro&amount=2000"]) {
      const res = await curl(["-XPOST", `${B}/v1/plans`, "-H", K, "-d", body]);
      expectError(res, 415, "unsupported_media_type");
      expect(res.json.error.type).toBe("invalid_request_error");
    }
  });

  it("a JSON body that is not an object is 400 invalid_body", async () => {
    for (const [body, got] of [
      ["[]", "an array"],
      ['"x"', "a string"],
      ["3", "a number"],
      ["null", "null"],
      ["true", "a boolean"],
    ]) {
      const res = await curl(["-XPOST", `${B}/v1/plans`, "-H", K, "-H", J, "-d", body!]);
      expectError(res, 400, "invalid_body");
      expect(res.json.error.message).toBe(`The request body must be a JSON object, like {"name":"Pro"}; got ${got}.`);
    }
  });

  it("malformed JSON is 400 invalid_json", async () => {
    expectError(await curl(["-XPOST", `${B}/v1/plans`, "-H", K, "-H", J, "-d", '{"name":']), 400, "invalid_json");
  });

  it("present but wrong is parameter_invalid, absent is parameter_missing, extra is parameter_unknown", async () => {
    const plan = { name: "Pro", currency: "usd", amount: 2000, interval: "month" };
    const cases: [unknown, string, string][] = [
      [{ ...plan, amount: "20.00" }, "parameter_invalid", "amount"],
      [{ ...plan, amount: 19.99 }, "parameter_invalid", "amount"],
      [{ ...plan, amount: null }, "parameter_invalid", "amount"],
      [{ ...plan, currency: "xyz" }, "parameter_invalid", "currency"],
      [{ ...plan, currency: "USD" }, "parameter_invalid", "currency"],
      [{ ...plan, interval: "fortnight" }, "parameter_invalid", "interval"],
      [{ name: "Pro", currency: "usd", interval: "month" }, "parameter_missing", "amount"],
      [{ ...plan, colour: "red" }, "parameter_unknown", "colour"],
    ];
    for (const [body, code, param] of cases) {
      const res = await curl(["-XPOST", `${B}/v1/plans`, "-H", K, "-H", J, "-d", JSON.stringify(body)]);
      expect(`${JSON.stringify(body)} → ${res.status} ${res.json.error.code} ${res.json.error.param}`).toBe(
        `${JSON.stringify(body)} → 400 ${code} ${param}`,
      );
    }
    const sub = await subscription();
    expectError(
      await curl([
        "-XPOST",
        `${B}/v1/subscriptions/${sub.id}/cancel`,
        "-H",
        K,
        "-H",
        J,
        "-d",
        '{"at_period_end":"yes"}',
      ]),
      400,
      "parameter_invalid",
      "at_period_end",
    );
    expectError(
      await curl(["-XPOST", `${B}/v1/test_clocks`, "-H", K, "-H", J, "-d", '{"frozen_time":1780000000}']),
      400,
      "parameter_invalid",
      "frozen_time",
    );
    expectError(
      await curl(["-XPOST", `${B}/v1/test_clocks`, "-H", K, "-H", J, "-d", "{}"]),
      400,
      "parameter_missing",
      "frozen_time",
    );
  });

  it("a payment method the test gateway cannot know is 400 when it is set", async () => {
    const res = await curl([
      "-XPOST",
      `${B}/v1/customers`,
      "-H",
      K,
      "-H",
      J,
      "-d",
      '{"payment_method":"pm_card_bogus"}',
    ]);
    expectError(res, 400, "resource_missing", "payment_method");
    const customer = await post("/v1/customers", { payment_method: "pm_card_visa" });
    const patch = await curl([
      "-XPATCH",
      `${B}/v1/customers/${customer.id}`,
      "-H",
      K,
      "-H",
      J,
      "-d",
      '{"payment_method":"pm_typo"}',
    ]);
    expectError(patch, 400, "resource_missing", "payment_method");
  });

  it("a query parameter of the wrong type or a cursor the service did not issue is 400", async () => {
    expectError(await curl([`${B}/v1/plans?limit=abc`, "-H", K]), 400, "parameter_invalid", "limit");
    expectError(await curl([`${B}/v1/plans?cursor=not-ours`, "-H", K]), 400, "parameter_invalid", "cursor");
  });
});

describe("the rest of the envelope over real HTTP", () => {
  it("replays a POST with the same Idempotency-Key and says so", async () => {
    const args = (key: string) => [
      "-XPOST",
      `${B}/v1/customers`,
      "-H",
      K,
      "-H",
      J,
      "-H",
      `Idempotency-Key: ${key}`,
      "-d",
      '{"name":"Replay"}',
    ];
    const key = `curl-${Date.now()}`;
    const first = await curl(args(key));
    const second = await curl(args(key));
    expect(first.status).toBe(201);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.json).toEqual(first.json);
  });

  it("answers no key 401, an unknown route 404 and a wrong method 405", async () => {
    expectError(await curl([`${B}/v1/plans`]), 401, "missing_api_key");
    expectError(await curl([`${B}/v1/nothing`, "-H", K]), 404, "route_not_found");
    const wrong = await curl(["-XDELETE", `${B}/v1/plans`, "-H", K]);
    expectError(wrong, 405, "method_not_allowed");
    expect(wrong.headers.allow).toBe("GET, POST");
  });

  it("serves the OpenAPI document and the docs page without a key", async () => {
    const doc = await curl([`${B}/v1/openapi.json`]);
    expect(doc.status).toBe(200);
    expect(doc.json.info.title).toBe("Billify API");
    const docs = await curl([`${B}/docs`]);
    expect(docs.status).toBe(200);
    expect(docs.headers["content-type"]).toMatch(/^text\/html/);
  });
});
