import { describe, expect, it } from "vitest";
import { api, createCustomer, ok, uniquePlanId } from "../helpers";
import { expectError } from "./expect";

interface Page<T> {
  object: string;
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}
interface PlanLike {
  id: string;
  created: string;
}

// Storage is per file: this file's first test creates the only plans in the catalog.
describe("GET /v1/plans pagination", () => {
  it("pages 25 plans by 10: 10, 10, 5, newest first, no duplicates", async () => {
    const created: PlanLike[] = [];
    for (let i = 0; i < 25; i++) {
      created.push(
        await ok("POST", "/v1/plans", {
          id: uniquePlanId("page"),
          name: `Plan ${i}`,
          currency: "usd",
          amount: 100 + i,
          interval: "month",
        }),
      );
    }
    const pages: Page<PlanLike>[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=10&cursor=${encodeURIComponent(cursor)}` : "?limit=10";
      const res = await api<Page<PlanLike>>("GET", `/v1/plans${query}`);
      expect(res.status).toBe(200);
      expect(res.body.object).toBe("list");
      pages.push(res.body);
      cursor = res.body.next_cursor;
      expect(pages.length).toBeLessThan(5);
    } while (cursor !== null);
    expect(pages.map((p) => p.data.length)).toEqual([10, 10, 5]);
    expect(pages.map((p) => p.has_more)).toEqual([true, true, false]);
    expect(pages[0]!.next_cursor).toEqual(expect.any(String));
    expect(pages[1]!.next_cursor).toEqual(expect.any(String));
    expect(pages[2]!.next_cursor).toBeNull();
    const seen = pages.flatMap((p) => p.data);
    expect(new Set(seen.map((p) => p.id)).size).toBe(25);
    expect(new Set(seen.map((p) => p.id))).toEqual(new Set(created.map((p) => p.id)));
    // Newest first: exactly the reverse of the order of creation.
    expect(seen.map((p) => p.id)).toEqual(created.map((p) => p.id).reverse());
    // Every item is a full plan.
    for (const plan of seen) expect(plan).toEqual(await ok("GET", `/v1/plans/${plan.id}`));
  });

  it("defaults to 10 and allows up to 100", async () => {
    const def = await ok("GET", "/v1/plans");
    expect(def.data).toHaveLength(10);
    expect(def.has_more).toBe(true);
    const all = await ok("GET", "/v1/plans?limit=100");
    expect(all.data).toHaveLength(25);
    expect(all.has_more).toBe(false);
    expect(all.next_cursor).toBeNull();
    const one = await ok("GET", "/v1/plans?limit=1");
    expect(one.data).toHaveLength(1);
    expect(one.has_more).toBe(true);
  });

  it("refuses limit 0, 101, -1, 1.5 and text with 400 param limit", async () => {
    for (const limit of ["0", "101", "-1", "1.5", "ten", ""]) {
      expectError(await api("GET", `/v1/plans?limit=${limit}`), 400, "invalid_request_error", "limit");
    }
  });

  it("never answers 500 to a cursor it did not give (local KV: an empty page)", async () => {
    const res = await api("GET", "/v1/plans?limit=10&cursor=not-a-cursor");
    if (res.status === 400) {
      expectError(res, 400, "invalid_request_error", "cursor");
    } else {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });
    }
    expectError(await api("GET", `/v1/plans?cursor=${"c".repeat(513)}`), 400, "invalid_request_error", "cursor");
  });
});

describe("GET /v1/customers/{id}/subscriptions pagination", () => {
  it("pages 5 subscriptions by 2: all 5 seen once, newest first", async () => {
    const plan = await ok("POST", "/v1/plans", {
      id: uniquePlanId("subs"),
      name: "Subs",
      currency: "usd",
      amount: 500,
      interval: "month",
    });
    const customer = await createCustomer({ payment_method: "pm_card_visa" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id })).id);
    }
    const pages: Page<{ id: string; customer: string; object: string }>[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const res = await api("GET", `/v1/customers/${customer.id}/subscriptions${query}`);
      expect(res.status).toBe(200);
      pages.push(res.body);
      cursor = res.body.next_cursor;
      expect(pages.length).toBeLessThan(5);
    } while (cursor !== null);
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.map((p) => p.has_more)).toEqual([true, true, false]);
    const seen = pages.flatMap((p) => p.data);
    expect(seen.map((s) => s.id)).toEqual([...ids].reverse());
    for (const s of seen) {
      expect(s.object).toBe("subscription");
      expect(s.customer).toBe(customer.id);
    }
  });

  it("refuses limit 0 and 101 with 400 param limit, and a foreign cursor with 400 param cursor", async () => {
    const customer = await createCustomer();
    expectError(
      await api("GET", `/v1/customers/${customer.id}/subscriptions?cursor=garbage`),
      400,
      "invalid_request_error",
      "cursor",
    );
    expectError(
      await api("GET", `/v1/customers/${customer.id}/subscriptions?limit=0`),
      400,
      "invalid_request_error",
      "limit",
    );
    expectError(
      await api("GET", `/v1/customers/${customer.id}/subscriptions?limit=101`),
      400,
      "invalid_request_error",
      "limit",
    );
  });
});

describe("GET /v1/customers/{id}/invoices pagination", () => {
  it("pages the invoices of 3 subscriptions by 2: all seen once, newest first", async () => {
    const plan = await ok("POST", "/v1/plans", {
      id: uniquePlanId("inv"),
      name: "Inv",
      currency: "usd",
      amount: 300,
      interval: "month",
    });
    const customer = await createCustomer({ payment_method: "pm_card_visa" });
    const invoiceIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
      invoiceIds.push(sub.latest_invoice);
      await ok("POST", `/v1/subscriptions/${sub.id}/invoice_items`, { amount: 10 + i, description: `item ${i}` });
      invoiceIds.push((await ok("POST", `/v1/subscriptions/${sub.id}/invoices`, {})).id);
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page: Page<{ id: string; customer: string }> = await ok(
        "GET",
        `/v1/customers/${customer.id}/invoices${query}`,
      );
      sizes.push(page.data.length);
      for (const invoice of page.data) expect(invoice.customer).toBe(customer.id);
      seen.push(...page.data.map((i) => i.id));
      cursor = page.next_cursor;
      expect(sizes.length).toBeLessThan(6);
    } while (cursor !== null);
    expect(sizes).toEqual([2, 2, 2]);
    expect(seen).toEqual([...invoiceIds].sort().reverse());
    expect(new Set(seen)).toEqual(new Set(invoiceIds));
  });
});

describe("every list refuses a cursor it did not issue (400 param cursor) and pages by limit", () => {
  const foreign = [
    "garbage",
    "sub_01ARZ3NDEKTSV4RRFFQ69G5FAV",
    "in_01ARZ3NDEKTSV4RRFFQ69G5FAV",
    "pay_01ARZ3NDEKTSV4RRFFQ69G5FAV",
    "0",
    "eyJhIjoxfQ",
  ];

  async function setup() {
    const plan = await ok("POST", "/v1/plans", {
      id: uniquePlanId("cur"),
      name: "Cur",
      currency: "usd",
      amount: 300,
      interval: "month",
    });
    const customer = await createCustomer({ payment_method: "pm_card_chargeDeclined" });
    const first = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const second = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    return { customer, first, second };
  }

  it("on plans, customers' subscriptions and invoices, subscriptions' invoices and events, and invoices' payments", async () => {
    const { customer, first, second } = await setup();
    const lists = [
      "/v1/plans",
      `/v1/customers/${customer.id}/subscriptions`,
      `/v1/customers/${customer.id}/invoices`,
      `/v1/subscriptions/${first.id}/invoices`,
      `/v1/subscriptions/${first.id}/events`,
      `/v1/invoices/${first.latest_invoice}/payments`,
    ];
    for (const list of lists) {
      for (const cursor of foreign) {
        const res = await api("GET", `${list}?cursor=${encodeURIComponent(cursor)}`);
        expect(`${list} ${cursor}: ${res.status} ${res.body?.error?.code} ${res.body?.error?.param}`).toBe(
          `${list} ${cursor}: 400 parameter_invalid cursor`,
        );
      }
    }
    // An id of the right kind from another subscription is not a cursor of this one's invoices.
    expectError(
      await api("GET", `/v1/subscriptions/${first.id}/invoices?cursor=${second.latest_invoice}`),
      400,
      "invalid_request_error",
      "cursor",
    );
  });

  it("a plans cursor that KV would take for the first page is refused too", async () => {
    await createPlan2();
    await createPlan2();
    const page = await ok("GET", "/v1/plans?limit=1");
    expect(page.has_more).toBe(true);
    // A cursor of the right shape whose last key is behind the page KV returns: not one the service issued.
    const [kv] = JSON.parse(atob(page.next_cursor.replace(/-/g, "+").replace(/_/g, "/"))) as [string, string];
    const forged = btoa(JSON.stringify([kv, "plans/99999999999999/zzz"])).replace(/=+$/, "");
    expectError(
      await api("GET", `/v1/plans?cursor=${encodeURIComponent(forged)}`),
      400,
      "invalid_request_error",
      "cursor",
    );
  });

  it("pages an invoice's payments oldest first, by limit and cursor", async () => {
    const { first } = await setup();
    const invoice = first.latest_invoice as string;
    // The first attempt failed at creation; two more on request.
    await api("POST", `/v1/invoices/${invoice}/pay`);
    await api("POST", `/v1/invoices/${invoice}/pay`);
    const all = await ok("GET", `/v1/invoices/${invoice}/payments`);
    expect(all.data.map((p: { attempt: number }) => p.attempt)).toEqual([1, 2, 3]);
    const one = await ok("GET", `/v1/invoices/${invoice}/payments?limit=2`);
    expect(one).toMatchObject({ has_more: true, next_cursor: all.data[1].id });
    expect(one.data).toEqual(all.data.slice(0, 2));
    const two = await ok("GET", `/v1/invoices/${invoice}/payments?limit=2&cursor=${one.next_cursor}`);
    expect(two).toEqual({ object: "list", data: all.data.slice(2), has_more: false, next_cursor: null });
  });

  it("lists a subscription's events 10 at a time by default, oldest first", async () => {
    const { first } = await setup();
    for (let i = 0; i < 6; i++) await api("POST", `/v1/invoices/${first.latest_invoice}/pay`);
    const all = await ok("GET", `/v1/subscriptions/${first.id}/events?limit=100`);
    expect(all.data.length).toBeGreaterThan(10);
    const page = await ok("GET", `/v1/subscriptions/${first.id}/events`);
    expect(page.data).toEqual(all.data.slice(0, 10));
    expect(page.has_more).toBe(true);
    const next = await ok("GET", `/v1/subscriptions/${first.id}/events?cursor=${page.next_cursor}`);
    expect(next.data).toEqual(all.data.slice(10, 20));
  });
});

async function createPlan2() {
  return ok("POST", "/v1/plans", {
    id: uniquePlanId("cur2"),
    name: "Cur2",
    currency: "usd",
    amount: 300,
    interval: "month",
  });
}
