import { exports } from "cloudflare:workers";
import { eventually } from "./poll";

export const API_KEY = "sk_test_local";
export const ADMIN_KEY = "sk_admin_local";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the Worker in-process, as a client would over HTTP. */
export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  options: { key?: string | null; headers?: Record<string, string>; raw?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? API_KEY : options.key;
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  let payload: string | undefined = options.raw;
  if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["Content-Type"] = "application/json";
  }
  const response = await exports.default.fetch(
    new Request(`http://billify.test${path}`, { method, headers, body: payload }),
  );
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // HTML or empty bodies stay text.
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Asserts a 2xx and returns the body. */
export async function ok<T = any>(
  method: string,
  path: string,
  body?: unknown,
  options?: Parameters<typeof api>[3],
): Promise<T> {
  const response = await api<T>(method, path, body, options);
  if (response.status >= 300)
    throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

let counter = 0;
export function uniquePlanId(prefix = "plan"): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

export async function createPlan(fields: Record<string, unknown> = {}) {
  return ok("POST", "/v1/plans", {
    id: uniquePlanId(),
    name: "Basic",
    currency: "usd",
    amount: 1000,
    interval: "month",
    ...fields,
  });
}

export async function createClock(frozenTime: string) {
  return ok("POST", "/v1/test_clocks", { frozen_time: frozenTime });
}

/**
 * Advances a clock and waits until it is ready: an advance that did not finish within its
 * request answers `advancing` and goes on (docs/billing-rules.md, Endpoints), as a client would poll.
 */
export async function advance(clockId: string, frozenTime: string) {
  const clock = await ok("POST", `/v1/test_clocks/${clockId}/advance`, { frozen_time: frozenTime });
  if (clock.status !== "advancing") return clock;
  // The test's own timeout bounds the wait.
  return eventually(
    () => ok("GET", `/v1/test_clocks/${clockId}`),
    (c) => c.status !== "advancing",
    { timeoutMs: 300_000, what: `clock ${clockId} to reach ${frozenTime}` },
  );
}

export async function createCustomer(fields: Record<string, unknown> = {}) {
  return ok("POST", "/v1/customers", { email: "ada@example.com", payment_method: "pm_card_visa", ...fields });
}

/** A customer on a new clock frozen at `start`, with a subscription to `plan`. */
export async function subscribeOnClock(
  start: string,
  plan: Record<string, unknown> = {},
  sub: Record<string, unknown> = {},
  customer: Record<string, unknown> = {},
) {
  const clock = await createClock(start);
  const cus = await createCustomer({ test_clock: clock.id, ...customer });
  const p = await createPlan(plan);
  const subscription = await ok("POST", "/v1/subscriptions", { customer: cus.id, plan: p.id, ...sub });
  return { clock, customer: cus, plan: p, subscription };
}

/** An invoice's payment attempts, oldest first. */
export async function paymentsOf<T = any>(invoiceId: string): Promise<T[]> {
  const page = await ok("GET", `/v1/invoices/${invoiceId}/payments?limit=100`);
  if (page.object !== "list") throw new Error(`not a list: ${JSON.stringify(page)}`);
  return page.data;
}

export async function invoicesOf(subscriptionId: string): Promise<any[]> {
  const page = await ok("GET", `/v1/subscriptions/${subscriptionId}/invoices?limit=100`);
  return [...page.data].reverse();
}
