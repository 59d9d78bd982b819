/**
 * The admin dashboard in a real browser: Debian's Chromium (`/usr/bin/chromium`, or
 * CHROMIUM_PATH) driven by playwright-core, against its own `wrangler dev` filled by the seed.
 * Without a browser the suite is skipped and says how to enable it; with CI=true a missing
 * browser fails the run.
 */
import { existsSync, mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Seeded } from "../../scripts/seed-data.mjs";
import { seed } from "../../scripts/seed-data.mjs";
import type { Service } from "../../scripts/service.mjs";
import { startService } from "../../scripts/service.mjs";
import { formatAmount } from "../../src/contract/currencies";
import { eventually } from "../poll";

declare const process: { env: Record<string, string | undefined> };

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAVE_BROWSER = existsSync(CHROMIUM);
const IN_CI = process.env.CI === "true";
const ADMIN = "sk_admin_local";
/** Fresh screenshots of each run (git-ignored); README shows copies in docs/screenshots. */
const SCREENSHOTS = process.env.BILLIFY_SCREENSHOTS ?? ".screenshots";

if (!HAVE_BROWSER && !IN_CI) {
  console.info(
    `Browser test skipped: no Chromium at ${CHROMIUM}. Enable it with 'apt-get install -y chromium' (or set CHROMIUM_PATH).`,
  );
}

// With CI=true a missing browser fails the file outright (no skipped test to count as passing).
if (IN_CI && !HAVE_BROWSER) {
  throw new Error(`CI=true but no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium`);
}

let service: Service;
let seeded: Seeded;

async function admin<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function allAdminRows(query: string): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await admin(
      "GET",
      `/v1/admin/subscriptions?limit=100&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}

describe.skipIf(!HAVE_BROWSER && !IN_CI)("after npm run seed (real HTTP)", () => {
  beforeAll(async () => {
    service = await startService();
    seeded = await seed({ url: service.url, customers: 40, clocks: 4 });
  }, 300_000);
  afterAll(async () => {
    await service?.stop();
  });

  it("lists exactly the past_due subscriptions, and metrics match a recount from the actors", async () => {
    const truth = await Promise.all(seeded.subscriptions.map((id) => admin("GET", `/v1/subscriptions/${id}`)));
    const plans = new Map((await admin("GET", "/v1/plans?limit=100")).data.map((p: any) => [p.id, p]));
    const pastDue = truth
      .filter((s) => s.status === "past_due")
      .map((s) => s.id)
      .sort();
    expect(pastDue.length).toBeGreaterThan(0);
    const listed = await eventually(
      async () => (await allAdminRows("status=past_due")).map((s) => s.id).sort(),
      (ids) => JSON.stringify(ids) === JSON.stringify(pastDue),
      { timeoutMs: 20_000, intervalMs: 250, what: "the read model's past_due listing" },
    );
    expect(listed).toEqual(pastDue);

    const counts: Record<string, number> = {
      trialing: 0,
      active: 0,
      incomplete: 0,
      incomplete_expired: 0,
      past_due: 0,
      unpaid: 0,
      canceled: 0,
    };
    const mrr: Record<string, number> = {};
    for (const s of truth) {
      counts[s.status]! += 1;
      if (s.status !== "active" && s.status !== "past_due") continue;
      const plan: any = plans.get(s.plan);
      const perMonth =
        { month: 1, year: 1 / 12, week: 52 / 12, day: 365 / 12 }[plan.interval as string]! / plan.interval_count;
      mrr[plan.currency] = (mrr[plan.currency] ?? 0) + Math.round(plan.amount * s.quantity * perMonth + 1e-9);
    }
    const metrics = await admin("GET", "/v1/admin/metrics");
    expect(metrics).toEqual({ object: "metrics", mrr, counts, subscriptions: seeded.subscriptions.length });
  });

  it("signs in, filters by status, opens a subscription and follows it live while its clock advances", async () => {
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page: Page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
      await page.goto(`${service.url}/admin`);
      await page.fill("#admin-key", "sk_test_local");
      await page.click("#sign-in button[type=submit]");
      await expect.poll(() => page.textContent("#sign-in-error")).toContain("admin key");
      await page.fill("#admin-key", ADMIN);
      await page.click("#sign-in button[type=submit]");
      await page.waitForSelector("[data-testid=subscription-row]");

      const pastDue = await allAdminRows("status=past_due");
      await page.selectOption("[data-testid=filter-status]", "past_due");
      await page.waitForFunction(`location.hash.includes("status=past_due")`);
      await page.waitForFunction(
        `document.querySelectorAll("[data-testid=subscription-row]").length === ${Math.min(pastDue.length, 20)}`,
      );
      const statuses = await page.$$eval("[data-testid=subscription-row] [data-status]", (els) =>
        els.map((e) => e.getAttribute("data-status")),
      );
      expect(statuses.length).toBe(Math.min(pastDue.length, 20));
      expect(new Set(statuses)).toEqual(new Set(["past_due"]));
      // Amounts in each currency's own decimals, from integer minor units (the seed bills usd and jpy).
      const amounts = await page.$$eval("[data-testid=subscription-row]", (rows) =>
        rows.map((r) => [r.getAttribute("data-href"), r.querySelector("td.num")?.textContent] as const),
      );
      const summaries = new Map(pastDue.map((s) => [s.id, s]));
      for (const [id, shown] of amounts) {
        const s = summaries.get(id);
        expect(shown).toBe(formatAmount(s.amount * s.quantity, s.currency));
      }
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS}/subscriptions-past-due.png`, fullPage: true });

      // Open the first one and wait for the live connection.
      const first = pastDue[0];
      await page.click(`[data-testid=subscription-row][data-href="${first.id}"]`);
      await page.waitForSelector("[data-testid=subscription-details]");
      await page.waitForFunction(`document.querySelector("[data-testid=live-status]").textContent === "● live"`);
      await page.evaluate(`window.sameDocument = true`);
      const paymentsBefore = await page.locator("[data-testid=payment-row]").count();
      const eventsBefore = await page.locator("[data-testid=event-row]").count();

      // The next retry of its open invoice falls due when its clock moves a week on; the page
      // must show the new attempt without a reload (partyserver broadcast → refetch).
      const clock = await admin("GET", `/v1/test_clocks/${first.test_clock}`);
      const to = new Date(Date.parse(clock.frozen_time) + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      await admin("POST", `/v1/test_clocks/${first.test_clock}/advance`, { frozen_time: to });
      await page.waitForFunction(
        `document.querySelectorAll("[data-testid=event-row]").length > ${eventsBefore}`,
        undefined,
        { timeout: 20_000 },
      );
      expect(await page.locator("[data-testid=payment-row]").count()).toBeGreaterThan(paymentsBefore);
      expect(await page.evaluate(`window.sameDocument === true`)).toBe(true); // updated in place, never reloaded
      await page.screenshot({ path: `${SCREENSHOTS}/subscription-live.png`, fullPage: true });

      // Test mode: the emails the service sent (GET /v1/admin/emails), in their own tab.
      await page.click("[data-testid=nav-emails]");
      await page.waitForSelector("[data-testid=email-row]");
      const shown = await page.$$eval("[data-testid=email-row] td:nth-child(3)", (cells) =>
        cells.map((c) => c.textContent),
      );
      const sent = await admin("GET", "/v1/admin/emails?limit=100");
      expect(shown.length).toBeGreaterThan(0);
      expect(sent.data.map((e: { subject: string }) => e.subject)).toContain(shown[0]);

      // Metrics, and the phone layout.
      await page.click("[data-testid=nav-metrics]");
      await page.waitForSelector("[data-testid=mrr-chart]");
      const mrr: Record<string, number> = (await admin("GET", "/v1/admin/metrics")).mrr;
      const bars = await page.$$eval("[data-testid=mrr-chart] .bar", (rows) =>
        rows.map((r) => [r.querySelector("span")?.textContent ?? "", r.querySelector("b")?.textContent] as const),
      );
      expect(Object.fromEntries(bars)).toEqual(
        Object.fromEntries(Object.entries(mrr).map(([currency, v]) => [currency, formatAmount(v, currency)])),
      );
      expect(Object.keys(mrr)).toContain("jpy");
      await page.screenshot({ path: `${SCREENSHOTS}/metrics.png`, fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.click("[data-testid=nav-subscriptions]");
      await page.waitForSelector("[data-testid=subscription-row]");
      const overflow = await page.evaluate<number>(`document.documentElement.scrollWidth - window.innerWidth`);
      expect(overflow).toBeLessThanOrEqual(0); // the table scrolls inside its box, the page does not
      await page.screenshot({ path: `${SCREENSHOTS}/phone.png` });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
