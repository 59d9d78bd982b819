import { describe, expect, it } from "vitest";
import { expectError } from "../api/expect";
import { api, createCustomer, ok } from "../helpers";
import { eventually } from "./read-model";

async function list(query = "") {
  return ok("GET", `/v1/customers${query ? `?${query}` : ""}`);
}
const ids = (page: { data: { id: string }[] }) => page.data.map((c) => c.id);

describe("GET /v1/customers (the KV index kept by each customer's actor)", () => {
  it("lists newest first, pages with limit and cursor, and filters by exact email", async () => {
    const a = await createCustomer({ email: "list-a@example.com", name: "A" });
    const b = await createCustomer({ email: "list-b@example.com", name: "B", metadata: { tier: "gold" } });
    const c = await createCustomer({ email: "list-a@example.com", name: "C" });
    const first = await eventually(
      () => list("limit=2"),
      (p) => p.data.length === 2 && p.data[0].id === c.id,
    );
    expect(ids(first)).toEqual([c.id, b.id]);
    expect(first.data[1]).toEqual(b); // the full customer, as GET /v1/customers/{id} shows it
    expect(first.has_more).toBe(true);
    const second = await list(`limit=2&cursor=${encodeURIComponent(first.next_cursor)}`);
    expect(ids(second)).toEqual([a.id]);
    expect(second).toMatchObject({ has_more: false, next_cursor: null });

    expect(ids(await list("email=list-a@example.com"))).toEqual([c.id, a.id]);
    expect(ids(await list("email=LIST-A@example.com"))).toEqual([]); // exact, as Stripe
    expect(ids(await list("email=list-b@example.com"))).toEqual([b.id]);
  });

  it("follows an email change: the old email no longer finds the customer", async () => {
    const customer = await createCustomer({ email: "before@example.com" });
    await eventually(
      () => list("email=before@example.com"),
      (p) => p.data.length === 1,
    );
    await ok("PATCH", `/v1/customers/${customer.id}`, { email: "after@example.com", name: "Renamed" });
    const after = await eventually(
      () => list("email=after@example.com"),
      (p) => p.data.length === 1,
    );
    expect(after.data[0]).toMatchObject({ id: customer.id, email: "after@example.com", name: "Renamed" });
    expect(ids(await list("email=before@example.com"))).toEqual([]);
  }, 30_000);

  it("serves a customer whose metadata is too large for KV metadata from the value", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, "v".repeat(400)]));
    const big = await createCustomer({ email: "big@example.com", metadata });
    const page = await eventually(
      () => list("email=big@example.com"),
      (p) => p.data.length === 1,
    );
    expect(page.data[0]).toEqual(big);
  });

  it("refuses a cursor it did not issue (400, param cursor) and a bad limit", async () => {
    await createCustomer({ email: "cursor@example.com" });
    await createCustomer({ email: "cursor@example.com" });
    const page = await eventually(
      () => list("email=cursor@example.com&limit=1"),
      (p) => p.has_more,
    );
    expectError(
      await api("GET", `/v1/customers?limit=1&cursor=${encodeURIComponent(page.next_cursor)}`),
      400,
      "invalid_request_error",
      "cursor",
    );
    expectError(await api("GET", "/v1/customers?cursor=garbage"), 400, "invalid_request_error", "cursor");
    expectError(await api("GET", "/v1/customers?limit=101"), 400, "invalid_request_error", "limit");
  });
});
