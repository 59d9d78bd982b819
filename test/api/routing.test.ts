import { describe, expect, it } from "vitest";
import { ADMIN_KEY, api, createCustomer, createPlan, ok } from "../helpers";
import { ABSENT, expectError } from "./expect";

describe("unknown routes", () => {
  it("answers an unknown route with 404 not_found in the envelope", async () => {
    expectError(await api("GET", "/v1/nothing"), 404, "not_found");
    expectError(await api("POST", "/v1/nothing", {}), 404, "not_found");
    expectError(await api("GET", "/v1/plans/x/y/z"), 404, "not_found");
    expectError(await api("GET", "/v2/plans"), 404, "not_found");
    expectError(await api("GET", "/nothing"), 404, "not_found");
  });

  it("answers a wrong method with 405, an Allow header and the envelope", async () => {
    const res = await api("DELETE", "/v1/plans");
    expectError(res, 405, "invalid_request_error");
    expect(res.headers.get("Allow")).toBe("GET, POST");
  });

  it("lists every method of a path in Allow", async () => {
    const plan = await createPlan();
    const res = await api("PUT", `/v1/plans/${plan.id}`, { name: "x" });
    expectError(res, 405, "invalid_request_error");
    expect(res.headers.get("Allow")).toBe("GET, PATCH");
    const del = await api("DELETE", `/v1/customers/${ABSENT.customer}`);
    expectError(del, 405, "invalid_request_error");
    expect(del.headers.get("Allow")).toBe("GET, PATCH");
    const get = await api("GET", `/v1/subscriptions/${ABSENT.subscription}/cancel`);
    expectError(get, 405, "invalid_request_error");
    expect(get.headers.get("Allow")).toBe("POST");
    const patch = await api("PATCH", `/v1/subscriptions/${ABSENT.subscription}/invoices`, {});
    expectError(patch, 405, "invalid_request_error");
    expect(patch.headers.get("Allow")).toBe("GET, POST");
  });

  it("does not let a wrong method change anything", async () => {
    const plan = await createPlan({ name: "Keep" });
    await api("PUT", `/v1/plans/${plan.id}`, { name: "Changed" });
    expect((await ok("GET", `/v1/plans/${plan.id}`)).name).toBe("Keep");
  });
});

describe("unknown ids are 404 not_found", () => {
  const malformed = ["nope", "sub_123", "plan_!!", "cus_01ARZ3NDEKTSV4RRFFQ69G5FA", "in_lowercase0000000000000000"];

  it("plans: malformed and well-formed-but-absent ids", async () => {
    expectError(await api("GET", `/v1/plans/${ABSENT.plan}`), 404, "not_found", "id");
    expectError(await api("GET", "/v1/plans/no-such-plan"), 404, "not_found", "id");
    expectError(await api("GET", "/v1/plans/Not%20A%20Plan%21"), 404, "not_found", "id");
    expectError(await api("PATCH", `/v1/plans/${ABSENT.plan}`, { name: "x" }), 404, "not_found", "id");
    expectError(await api("PATCH", "/v1/plans/UPPER", { name: "x" }), 404, "not_found", "id");
  });

  it("customers: malformed and well-formed-but-absent ids", async () => {
    for (const id of [ABSENT.customer, ...malformed]) {
      expectError(await api("GET", `/v1/customers/${id}`), 404, "not_found", "id");
      expectError(await api("PATCH", `/v1/customers/${id}`, { name: "x" }), 404, "not_found", "id");
      expectError(await api("GET", `/v1/customers/${id}/subscriptions`), 404, "not_found", "id");
      expectError(await api("GET", `/v1/customers/${id}/invoices`), 404, "not_found", "id");
    }
  });

  it("customers: an id with the routing key of an existing customer but another time part is absent", async () => {
    const customer = await createCustomer();
    const other = `cus_${"0".repeat(10)}${customer.id.slice(-16)}`;
    expect(other).not.toBe(customer.id);
    expectError(await api("GET", `/v1/customers/${other}`), 404, "not_found", "id");
    expectError(await api("PATCH", `/v1/customers/${other}`, { name: "x" }), 404, "not_found", "id");
  });

  it("subscriptions: malformed and well-formed-but-absent ids, on every route", async () => {
    for (const id of [ABSENT.subscription, ...malformed]) {
      expectError(await api("GET", `/v1/subscriptions/${id}`), 404, "not_found", "id");
      expectError(await api("GET", `/v1/subscriptions/${id}/invoices`), 404, "not_found", "id");
      expectError(await api("GET", `/v1/subscriptions/${id}/events`), 404, "not_found", "id");
      expectError(await api("POST", `/v1/subscriptions/${id}/cancel`, {}), 404, "not_found", "id");
      expectError(await api("POST", `/v1/subscriptions/${id}/resume`, {}), 404, "not_found", "id");
      expectError(await api("POST", `/v1/subscriptions/${id}/change`, { quantity: 2 }), 404, "not_found", "id");
      expectError(await api("POST", `/v1/subscriptions/${id}/preview_change`, { quantity: 2 }), 404, "not_found", "id");
      expectError(
        await api("POST", `/v1/subscriptions/${id}/invoice_items`, { amount: 100, description: "x" }),
        404,
        "not_found",
        "id",
      );
      expectError(await api("POST", `/v1/subscriptions/${id}/invoices`, {}), 404, "not_found", "id");
    }
  });

  it("subscriptions: an absent id does not answer with someone else's subscription", async () => {
    const plan = await createPlan();
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const sibling = `sub_${"0".repeat(10)}${sub.id.slice(-16)}`;
    expectError(await api("GET", `/v1/subscriptions/${sibling}`), 404, "not_found", "id");
    expectError(await api("POST", `/v1/subscriptions/${sibling}/cancel`, {}), 404, "not_found", "id");
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).status).toBe("active");
  });

  it("invoices: malformed and well-formed-but-absent ids, on every route", async () => {
    for (const id of [ABSENT.invoice, ...malformed]) {
      expectError(await api("GET", `/v1/invoices/${id}`), 404, "not_found", "id");
      expectError(await api("GET", `/v1/invoices/${id}/payments`), 404, "not_found", "id");
      expectError(await api("POST", `/v1/invoices/${id}/pay`, {}), 404, "not_found", "id");
      expectError(
        await api("POST", `/v1/invoices/${id}/payments`, { amount: 1, reference: "x" }),
        404,
        "not_found",
        "id",
      );
      expectError(await api("POST", `/v1/invoices/${id}/void`, {}), 404, "not_found", "id");
      expectError(await api("POST", `/v1/invoices/${id}/mark_uncollectible`, {}), 404, "not_found", "id");
    }
  });

  it("invoices: an absent invoice id on an existing subscription's actor is 404", async () => {
    const plan = await createPlan();
    const customer = await createCustomer();
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const absent = `in_${"0".repeat(10)}${sub.id.slice(-16)}`;
    expect(sub.latest_invoice).not.toBe(absent);
    expectError(await api("GET", `/v1/invoices/${absent}`), 404, "not_found", "id");
    expectError(await api("GET", `/v1/invoices/${absent}/payments`), 404, "not_found", "id");
  });

  it("test clocks: malformed and well-formed-but-absent ids", async () => {
    for (const id of [ABSENT.clock, ...malformed]) {
      expectError(await api("GET", `/v1/test_clocks/${id}`), 404, "not_found", "id");
      expectError(
        await api("POST", `/v1/test_clocks/${id}/advance`, { frozen_time: "2030-01-01T00:00:00Z" }),
        404,
        "not_found",
        "id",
      );
    }
  });

  it("the admin key sees the same 404s", async () => {
    expectError(
      await api("GET", `/v1/subscriptions/${ABSENT.subscription}`, undefined, { key: ADMIN_KEY }),
      404,
      "not_found",
      "id",
    );
  });
});

describe("a subscription's references are validated", () => {
  it("an unknown customer or plan is 400 naming the field", async () => {
    const plan = await createPlan();
    const customer = await createCustomer();
    expectError(
      await api("POST", "/v1/subscriptions", { customer: ABSENT.customer, plan: plan.id }),
      400,
      "invalid_request_error",
      "customer",
    );
    expectError(
      await api("POST", "/v1/subscriptions", { customer: "nope", plan: plan.id }),
      400,
      "invalid_request_error",
      "customer",
    );
    expectError(
      await api("POST", "/v1/subscriptions", { customer: customer.id, plan: ABSENT.plan }),
      400,
      "invalid_request_error",
      "plan",
    );
    expectError(
      await api("POST", "/v1/subscriptions", { customer: customer.id, plan: "no-such-plan" }),
      400,
      "invalid_request_error",
      "plan",
    );
    const subs = await ok("GET", `/v1/customers/${customer.id}/subscriptions`);
    expect(subs.data).toEqual([]);
  });
});
