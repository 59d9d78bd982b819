import { describe, expect, it } from "vitest";
import { api, createClock, ok } from "../helpers";
import { ABSENT, expectError, ISO_SECOND, ulidId } from "./expect";

const manyKeys = (n: number, prefix = "k") =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, "v"]));

describe("customers", () => {
  it("creates a customer: 201, cus_<ULID>, every field", async () => {
    const res = await api("POST", "/v1/customers", {
      email: "ada@example.com",
      name: "Ada Lovelace",
      payment_method: "pm_card_visa",
      metadata: { crm_id: "42" },
    });
    expect(res.status).toBe(201);
    const { id, created, ...rest } = res.body;
    expect(id).toMatch(ulidId("cus"));
    expect(created).toMatch(ISO_SECOND);
    expect(rest).toEqual({
      object: "customer",
      email: "ada@example.com",
      name: "Ada Lovelace",
      payment_method: "pm_card_visa",
      test_clock: null,
      metadata: { crm_id: "42" },
    });
    expect(await ok("GET", `/v1/customers/${id}`)).toEqual(res.body);
  });

  it("creates a customer from an empty object: every field null, metadata {}", async () => {
    const res = await api("POST", "/v1/customers", {});
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "customer",
      email: null,
      name: null,
      payment_method: null,
      test_clock: null,
      metadata: {},
    });
  });

  it("gives each customer its own id", async () => {
    const a = await ok("POST", "/v1/customers", {});
    const b = await ok("POST", "/v1/customers", {});
    expect(a.id).not.toBe(b.id);
  });

  it('patches fields one by one; null clears; metadata merges and "" deletes', async () => {
    const c = await ok("POST", "/v1/customers", { email: "a@example.com", name: "A", metadata: { x: "1", y: "2" } });
    const renamed = await api("PATCH", `/v1/customers/${c.id}`, { name: "B" });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({ ...c, name: "B" });
    expect(await ok("PATCH", `/v1/customers/${c.id}`, { email: null })).toEqual({ ...c, name: "B", email: null });
    expect((await ok("PATCH", `/v1/customers/${c.id}`, { metadata: { x: "", z: "3" } })).metadata).toEqual({
      y: "2",
      z: "3",
    });
    const pm = await ok("PATCH", `/v1/customers/${c.id}`, { payment_method: "pm_card_chargeDeclined" });
    expect(pm.payment_method).toBe("pm_card_chargeDeclined");
    expect(await ok("GET", `/v1/customers/${c.id}`)).toEqual({
      ...c,
      name: "B",
      email: null,
      metadata: { y: "2", z: "3" },
      payment_method: "pm_card_chargeDeclined",
    });
  });

  it("refuses to change a customer's test clock or id by PATCH (unknown fields)", async () => {
    const c = await ok("POST", "/v1/customers", {});
    expectError(
      await api("PATCH", `/v1/customers/${c.id}`, { test_clock: ABSENT.clock }),
      400,
      "invalid_request_error",
      "test_clock",
    );
    expectError(await api("PATCH", `/v1/customers/${c.id}`, { id: "cus_x" }), 400, "invalid_request_error", "id");
  });

  it("validates the payment method token", async () => {
    for (const pm of ["visa", "card_visa", "pm_", "pm_card visa", "PM_card_visa", 42]) {
      expectError(
        await api("POST", "/v1/customers", { payment_method: pm }),
        400,
        "invalid_request_error",
        "payment_method",
      );
    }
    const c = await ok("POST", "/v1/customers", { payment_method: "pm_card_visa" });
    expectError(
      await api("PATCH", `/v1/customers/${c.id}`, { payment_method: "visa" }),
      400,
      "invalid_request_error",
      "payment_method",
    );
    expect((await ok("GET", `/v1/customers/${c.id}`)).payment_method).toBe("pm_card_visa");
    for (const pm of ["pm_card_visa", "pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds"]) {
      expect((await api("POST", "/v1/customers", { payment_method: pm })).status).toBe(201);
    }
  });

  it("validates the email", async () => {
    expectError(await api("POST", "/v1/customers", { email: "not-an-email" }), 400, "invalid_request_error", "email");
  });

  it("refuses metadata over 50 keys, on create and after a PATCH's merge", async () => {
    expectError(
      await api("POST", "/v1/customers", { metadata: manyKeys(51) }),
      400,
      "invalid_request_error",
      "metadata",
    );
    const c = await ok("POST", "/v1/customers", { metadata: manyKeys(50) });
    expect(Object.keys(c.metadata)).toHaveLength(50);
    expectError(
      await api("PATCH", `/v1/customers/${c.id}`, { metadata: manyKeys(51, "n") }),
      400,
      "invalid_request_error",
      "metadata",
    );
    expectError(
      await api("PATCH", `/v1/customers/${c.id}`, { metadata: { extra: "1" } }),
      400,
      "invalid_request_error",
      "metadata",
    );
    expect(await ok("GET", `/v1/customers/${c.id}`)).toEqual(c);
    // Deleting one and adding one stays at 50.
    expect(
      Object.keys((await ok("PATCH", `/v1/customers/${c.id}`, { metadata: { k0: "", extra: "1" } })).metadata),
    ).toHaveLength(50);
  });

  it("refuses metadata keys over 40 characters and values over 500", async () => {
    expectError(
      await api("POST", "/v1/customers", { metadata: { ["k".repeat(41)]: "v" } }),
      400,
      "invalid_request_error",
      "metadata",
    );
    expectError(
      await api("POST", "/v1/customers", { metadata: { "": "v" } }),
      400,
      "invalid_request_error",
      "metadata",
    );
    expectError(
      await api("POST", "/v1/customers", { metadata: { k: "v".repeat(501) } }),
      400,
      "invalid_request_error",
      "metadata.k",
    );
  });

  it("refuses a test_clock that does not exist with 400 param test_clock", async () => {
    for (const clock of [ABSENT.clock, "clock_nope", "nope"]) {
      expectError(
        await api("POST", "/v1/customers", { test_clock: clock }),
        400,
        "invalid_request_error",
        "test_clock",
      );
    }
  });

  it("puts a customer on an existing test clock", async () => {
    const clock = await createClock("2026-01-01T00:00:00Z");
    const c = await ok("POST", "/v1/customers", { test_clock: clock.id });
    expect(c.test_clock).toBe(clock.id);
    expect((await ok("GET", `/v1/customers/${c.id}`)).test_clock).toBe(clock.id);
  });

  it("lists a new customer's subscriptions and invoices as empty lists", async () => {
    const c = await ok("POST", "/v1/customers", {});
    expect(await ok("GET", `/v1/customers/${c.id}/subscriptions`)).toEqual({
      object: "list",
      data: [],
      has_more: false,
      next_cursor: null,
    });
    expect(await ok("GET", `/v1/customers/${c.id}/invoices`)).toEqual({
      object: "list",
      data: [],
      has_more: false,
      next_cursor: null,
    });
  });
});
