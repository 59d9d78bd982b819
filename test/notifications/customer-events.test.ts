import { describe, expect, it } from "vitest";
import { api, ok } from "../helpers";

describe("a customer's own events", () => {
  it("records customer.created and customer.updated with the customer after the change, oldest first", async () => {
    const customer = await ok("POST", "/v1/customers", { email: "ada@example.com", name: "Ada" });
    await ok("PATCH", `/v1/customers/${customer.id}`, { name: "Ada Lovelace" });
    await ok("PATCH", `/v1/customers/${customer.id}`, { metadata: { crm: "42" } });
    const page = await ok("GET", `/v1/customers/${customer.id}/events`);
    expect(page).toMatchObject({ object: "list", has_more: false, next_cursor: null });
    expect(page.data.map((e: { type: string }) => e.type)).toEqual([
      "customer.created",
      "customer.updated",
      "customer.updated",
    ]);
    expect(page.data[0].data.object).toEqual(customer);
    expect(page.data[1].data.object).toMatchObject({ id: customer.id, name: "Ada Lovelace", metadata: {} });
    expect(page.data[2].data.object).toMatchObject({ name: "Ada Lovelace", metadata: { crm: "42" } });
    for (const event of page.data) {
      expect(event.id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(event.object).toBe("event");
      expect(event.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
  });

  it("dates customer.updated with the customer's test clock, not the wall clock", async () => {
    const clock = await ok("POST", "/v1/test_clocks", { frozen_time: "2026-01-01T00:00:00Z" });
    const customer = await ok("POST", "/v1/customers", { test_clock: clock.id });
    await ok("PATCH", `/v1/customers/${customer.id}`, { name: "Ada" });
    await ok("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-02-01T00:00:00Z" });
    await ok("PATCH", `/v1/customers/${customer.id}`, { name: "Ada Lovelace" });
    const page = await ok("GET", `/v1/customers/${customer.id}/events`);
    const updated = page.data.filter((e: { type: string }) => e.type === "customer.updated");
    expect(updated.map((e: { created: string }) => e.created)).toEqual([
      "2026-01-01T00:00:00Z",
      "2026-02-01T00:00:00Z",
    ]);
  });

  it("records nothing for a PATCH that changes nothing", async () => {
    const customer = await ok("POST", "/v1/customers", { email: "ada@example.com" });
    await ok("PATCH", `/v1/customers/${customer.id}`, { email: "ada@example.com" });
    const page = await ok("GET", `/v1/customers/${customer.id}/events`);
    expect(page.data.map((e: { type: string }) => e.type)).toEqual(["customer.created"]);
  });

  it("pages with limit (default 10) and cursor", async () => {
    const customer = await ok("POST", "/v1/customers", {});
    for (let i = 1; i <= 11; i++) await ok("PATCH", `/v1/customers/${customer.id}`, { name: `Name ${i}` });
    const first = await ok("GET", `/v1/customers/${customer.id}/events`);
    expect(first.data).toHaveLength(10);
    expect(first.has_more).toBe(true);
    const second = await ok("GET", `/v1/customers/${customer.id}/events?cursor=${first.next_cursor}`);
    expect(second.data.map((e: { data: { object: { name: string } } }) => e.data.object.name)).toEqual([
      "Name 10",
      "Name 11",
    ]);
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    const small = await ok("GET", `/v1/customers/${customer.id}/events?limit=1`);
    expect(small.data.map((e: { type: string }) => e.type)).toEqual(["customer.created"]);
  });

  it("answers 404 for an unknown customer and 400 naming cursor for a cursor it did not issue", async () => {
    expect((await api("GET", "/v1/customers/cus_01KAAAAAAAAAAAAAAAAAAAAAAA/events")).status).toBe(404);
    const customer = await ok("POST", "/v1/customers", {});
    const bad = await api("GET", `/v1/customers/${customer.id}/events?cursor=abc`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: "invalid_request_error", param: "cursor" });
  });
});
