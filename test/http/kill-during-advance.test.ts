import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startService } from "../../scripts/service.mjs";
import { eventually } from "../poll";
import { API_KEY } from "./client";

/**
 * One real SIGKILL of the service in the middle of a test clock advance, then a start on the
 * same storage; with no further request, the clock's own alarm finishes the advance. (A crash
 * after each transaction of an advance, and of one member's renewal within a step, is
 * test/billing/crash.test.ts, in-process and deterministic.)
 */
/** Six months of a daily plan: long enough to be killed in the middle, short enough to finish soon after. */
const TARGET = "2026-07-01T00:00:00Z";

const state = mkdtempSync(join(tmpdir(), "billify-kill-"));
afterAll(() => rmSync(state, { recursive: true, force: true }));

async function call(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: (await response.json()) as any };
}

describe("a kill during a test clock advance", () => {
  it("ends, after a restart and no further request, with the clock ready and every period invoiced once", {
    timeout: 180_000,
  }, async () => {
    let service = await startService({ persistTo: state });
    const clock = (await call(service.url, "POST", "/v1/test_clocks", { frozen_time: "2026-01-01T00:00:00Z" })).json;
    const customer = (
      await call(service.url, "POST", "/v1/customers", {
        email: "kill@example.com",
        payment_method: "pm_card_visa",
        test_clock: clock.id,
      })
    ).json;
    const plan = (
      await call(service.url, "POST", "/v1/plans", { name: "Daily", currency: "usd", amount: 100, interval: "day" })
    ).json;
    const sub = (await call(service.url, "POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id })).json;
    expect(sub.status).toBe("active");

    const advancing = fetch(`${service.url}/v1/test_clocks/${clock.id}/advance`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ frozen_time: TARGET }),
    }).catch(() => null);
    // Killed once the advance is under way (the clock has moved, not yet to the target).
    const before = await eventually(
      async () => (await call(service.url, "GET", `/v1/test_clocks/${clock.id}`)).json,
      (c) => c.frozen_time > "2026-01-03T00:00:00Z",
      { timeoutMs: 60_000, intervalMs: 20, what: "the advance under way" },
    );
    await service.kill();
    await advancing;
    expect(before.status).toBe("advancing");
    expect(before.frozen_time < TARGET).toBe(true);

    service = await startService({ persistTo: state });
    try {
      const after = await eventually(
        async () => (await call(service.url, "GET", `/v1/test_clocks/${clock.id}`)).json, // reads only
        (c) => c.status === "ready",
        { timeoutMs: 120_000, intervalMs: 250, what: "the clock's alarm to finish the advance" },
      );
      expect([after.status, after.frozen_time]).toEqual(["ready", TARGET]);
      const now = (await call(service.url, "GET", `/v1/subscriptions/${sub.id}`)).json;
      expect([now.status, now.current_period_start, now.current_period_end]).toEqual([
        "active",
        TARGET,
        "2026-07-02T00:00:00Z",
      ]);
      // 2026-01-01 … 2026-07-01 is 182 daily periods: invoice numbers 1…182, each paid once.
      const latest = (await call(service.url, "GET", `/v1/invoices/${now.latest_invoice}`)).json;
      expect([latest.number.slice(-4), latest.status, latest.amount_paid, latest.period_start]).toEqual([
        "0182",
        "paid",
        100,
        TARGET,
      ]);
      const invoices: any[] = [];
      for (let cursor: string | null = null; ; ) {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
        const page = (await call(service.url, "GET", `/v1/subscriptions/${sub.id}/invoices?limit=100${query}`)).json;
        invoices.push(...page.data);
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      expect(invoices.length).toBe(182);
      expect(new Set(invoices.map((i) => i.period_start)).size).toBe(182);
      expect(invoices.every((i) => i.status === "paid" && i.amount_paid === 100 && i.attempt_count === 1)).toBe(true);
    } finally {
      await service.stop();
    }
  });
});
