import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startService } from "../../scripts/service.mjs";
import { API_KEY } from "./client";

/**
 * The service is killed in the middle of a long test clock advance and started again on the
 * same storage; with no further request, the clock's own alarm finishes the advance.
 */
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
    timeout: 600_000,
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
      body: JSON.stringify({ frozen_time: "2028-01-01T00:00:00Z" }),
    }).catch(() => null);
    // Kill once the advance is under way (the clock has moved, not yet to the target).
    let before = clock;
    for (let i = 0; i < 400 && before.frozen_time <= "2026-01-03T00:00:00Z"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      before = (await call(service.url, "GET", `/v1/test_clocks/${clock.id}`)).json;
    }
    await service.stop();
    await advancing;
    expect(before.status).toBe("advancing");
    expect(before.frozen_time < "2028-01-01T00:00:00Z").toBe(true);

    service = await startService({ persistTo: state });
    try {
      let after = before;
      for (let i = 0; i < 480 && after.status !== "ready"; i++) {
        await new Promise((r) => setTimeout(r, 500));
        after = (await call(service.url, "GET", `/v1/test_clocks/${clock.id}`)).json; // reads only
      }
      expect([after.status, after.frozen_time]).toEqual(["ready", "2028-01-01T00:00:00Z"]);
      const now = (await call(service.url, "GET", `/v1/subscriptions/${sub.id}`)).json;
      expect([now.status, now.current_period_start, now.current_period_end]).toEqual([
        "active",
        "2028-01-01T00:00:00Z",
        "2028-01-02T00:00:00Z",
      ]);
      // 2026-01-01 … 2028-01-01 is 731 daily periods: invoice numbers 1…731, each paid once.
      const latest = (await call(service.url, "GET", `/v1/invoices/${now.latest_invoice}`)).json;
      expect([latest.number.slice(-4), latest.status, latest.amount_paid, latest.period_start]).toEqual([
        "0731",
        "paid",
        100,
        "2028-01-01T00:00:00Z",
      ]);
      const page = (await call(service.url, "GET", `/v1/subscriptions/${sub.id}/invoices?limit=100`)).json;
      expect(page.data.every((i: any) => i.status === "paid" && i.amount_paid === 100 && i.attempt_count === 1)).toBe(
        true,
      );
    } finally {
      await service.stop();
    }
  });
});
