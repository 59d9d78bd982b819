import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { API_KEY, createCustomer } from "../helpers";
import { documentedRoutes, sendHostileRequests } from "./hostile-requests";

describe("hostile requests on every route (fast-check; thousands in `npm run bench -- fuzz`)", () => {
  it("never answer 500, and every error is in the envelope", { timeout: 120_000 }, async () => {
    const statuses = await sendHostileRequests(300);
    // Some reach the handlers (404 for unknown ids), most are refused earlier (400/401/405/415).
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });

  it("covers every documented route", async () => {
    const routes = await documentedRoutes();
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        "POST /v1/subscriptions",
        "POST /v1/test_clocks/{id}/advance",
        "GET /v1/invoices/{id}/payments",
      ]),
    );
  });
});

describe("a body that is not UTF-8", () => {
  it("is 400 invalid_encoding, never stored with U+FFFD in its place", async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"email":"a'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('@example.com"}'),
    ]);
    const response = await exports.default.fetch(
      new Request("http://billify.test/v1/customers", {
        method: "POST",
        headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
        body: bytes,
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        type: "invalid_request_error",
        code: "invalid_encoding",
        message: "The request body is not valid UTF-8.",
      },
    });
    // Valid UTF-8 (not ASCII) goes through unchanged.
    const customer = await createCustomer({ name: "Zoë Ågren 日本" });
    expect(customer.name).toBe("Zoë Ågren 日本");
  });
});
