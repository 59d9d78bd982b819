/**
 * What the paying customer sees (API §9 and §11), over real HTTP against `wrangler dev`, and in
 * a real Chromium (playwright-core, as the dashboard test): pausing collection and finalizing a
 * draft with curl-like calls; the hosted invoice page paid from the browser and its PDF
 * downloaded; the portal opened from its link, a plan changed after its preview, a cancellation
 * and its undoing; a reused link refused. Screenshots go to .screenshots (README shows copies
 * kept in docs/screenshots).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

declare const process: { env: Record<string, string | undefined> };

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAVE_BROWSER = existsSync(CHROMIUM);
const IN_CI = process.env.CI === "true";
const SCREENSHOTS = process.env.BILLIFY_SCREENSHOTS ?? ".screenshots";
const KEY = "sk_test_local";

if (IN_CI && !HAVE_BROWSER) {
  throw new Error(`CI=true but no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium`);
}

const base = () => inject("serviceUrl");

async function call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base()}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}
async function ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await call<T>(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
/** The service's own address for a link the service made (its public URL is the local default). */
const local = (url: string) => `${base()}${new URL(url).pathname}`;

let n = 0;
async function customerAndPlan(paymentMethod: string, amount = 2500) {
  n += 1;
  const customer = await ok("POST", "/v1/customers", {
    email: `customer${n}@example.com`,
    name: "Ada Lovelace",
    payment_method: paymentMethod,
  });
  const plan = await ok("POST", "/v1/plans", {
    id: `pages-${Date.now().toString(36)}-${n}`,
    name: "Pro",
    currency: "usd",
    amount,
    interval: "month",
  });
  return { customer, plan };
}

describe("pausing collection over HTTP", () => {
  it("pauses, makes a draft on a clock, finalizes it with the next number, and resumes", async () => {
    const clock = await ok("POST", "/v1/test_clocks", { frozen_time: "2026-04-01T00:00:00Z" });
    const customer = await ok("POST", "/v1/customers", {
      email: "p@example.com",
      payment_method: "pm_card_visa",
      test_clock: clock.id,
    });
    const plan = await ok("POST", "/v1/plans", { name: "P", currency: "usd", amount: 900, interval: "month" });
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    // A POST whose fields are not all optional needs its body; a bad behaviour is a 400 naming it.
    const bad = await call("POST", `/v1/subscriptions/${sub.id}/pause_collection`, { behavior: "later" });
    expect([bad.status, bad.body.error.param]).toEqual([400, "behavior"]);
    const paused = await ok("POST", `/v1/subscriptions/${sub.id}/pause_collection`, { behavior: "keep_as_draft" });
    expect(paused.pause_collection).toEqual({ behavior: "keep_as_draft", resumes_at: null });
    let advanced = await ok("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-05-01T12:00:00Z" });
    while (advanced.status !== "ready") advanced = await ok("GET", `/v1/test_clocks/${clock.id}`);
    const invoices = (await ok("GET", `/v1/subscriptions/${sub.id}/invoices`)).data;
    const draft = invoices.find((i: any) => i.status === "draft");
    expect(draft).toMatchObject({ number: null, hosted_invoice_url: null, invoice_pdf: null });
    const finalized = await ok("POST", `/v1/invoices/${draft.id}/finalize`);
    expect(finalized).toMatchObject({ status: "paid", number: expect.stringMatching(/-0002$/) });
    const twice = await call("POST", `/v1/invoices/${draft.id}/finalize`);
    expect([twice.status, twice.body.error.code]).toEqual([400, "invoice_not_draft"]);
    if (HAVE_BROWSER) {
      // The admin dashboard shows the pause, and the draft without a number.
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`${base()}/admin`);
        await page.fill("#admin-key", "sk_admin_local");
        await page.click("#sign-in button[type=submit]");
        await page.waitForSelector("#view");
        await page.goto(`${base()}/admin#/subscriptions/${sub.id}`);
        await page.waitForSelector("[data-testid=pause-collection]");
        expect(await page.textContent("[data-testid=pause-collection]")).toBe("paused: keep as draft");
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: `${SCREENSHOTS}/dashboard-paused.png`, fullPage: true });
      } finally {
        await browser.close();
      }
    }
    const resumed = await ok("DELETE", `/v1/subscriptions/${sub.id}/pause_collection`);
    expect(resumed.pause_collection).toBeNull();
    const pdf = await fetch(local(finalized.invoice_pdf));
    expect(pdf.headers.get("content-disposition")).toBe(`attachment; filename="invoice-${finalized.number}.pdf"`);
  });
});

describe.skipIf(!HAVE_BROWSER && !IN_CI)("the customer's pages in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("opens an open invoice's page, pays it with a test card, and downloads its PDF", async () => {
    const { customer, plan } = await customerAndPlan("pm_card_chargeDeclined");
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    expect(sub.status).toBe("incomplete");
    const invoice = (await ok("GET", `/v1/subscriptions/${sub.id}/invoices`)).data[0];
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
    const page: Page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") violations.push(m.text());
    });
    // The links point at the origin the service listens on (npm start sets it from --port).
    expect(invoice.hosted_invoice_url.startsWith(`${base()}/`)).toBe(true);
    await page.goto(invoice.hosted_invoice_url);
    expect(await page.textContent("h1")).toContain(invoice.number);
    expect(await page.textContent("[data-testid=status]")).toBe("open");
    expect(await page.locator("[data-testid=line]").count()).toBe(1);
    expect(await page.textContent("[data-testid=totals]")).toContain("$25.00");
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0); // fits a phone
    await page.screenshot({ path: `${SCREENSHOTS}/invoice-page-phone.png`, fullPage: true });

    await page.selectOption("#payment_method", "pm_card_visa");
    await Promise.all([page.waitForURL(/\?paid=1$/), page.click("[data-testid=pay]")]);
    expect(await page.textContent("[data-testid=notice]")).toContain("payment was received");
    expect(await page.textContent("[data-testid=status]")).toBe("paid");
    expect(await page.locator("[data-testid=pay-form]").count()).toBe(0);
    expect((await ok("GET", `/v1/invoices/${invoice.id}`)).status).toBe("paid");
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).status).toBe("active");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=download-pdf]")]);
    expect(download.suggestedFilename()).toBe(`invoice-${invoice.number}.pdf`);
    const bytes = readFileSync((await download.path())!);
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    expect(violations).toEqual([]); // no CSP violation, no script error
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.screenshot({ path: `${SCREENSHOTS}/invoice-page.png`, fullPage: true });
    await context.close();
  }, 60_000);

  it("opens the portal from its link, changes plan after the preview, cancels and resumes; the link works once", async () => {
    const { customer, plan } = await customerAndPlan("pm_card_visa", 1000);
    const sub = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
    const team = await ok("POST", "/v1/plans", {
      id: `team-${Date.now().toString(36)}`,
      name: "Team",
      currency: "usd",
      amount: 4000,
      interval: "month",
    });
    const session = await ok("POST", "/v1/billing_portal/sessions", {
      customer: customer.id,
      return_url: "https://example.com/account",
    });
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    await page.goto(local(session.url));
    expect(new URL(page.url()).pathname).toBe("/portal");
    await page.waitForSelector(`[data-testid=subscription][data-id="${sub.id}"]`);
    expect(await page.locator("[data-testid=invoice]").count()).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}/portal.png`, fullPage: true });

    await page.selectOption("[data-testid=plan-select]", team.id);
    await page.click("[data-testid=preview]");
    await page.waitForSelector("[data-testid=preview-lines]");
    const preview = await ok("POST", `/v1/subscriptions/${sub.id}/preview_change`, { plan: team.id });
    const shown = await page.$$eval("[data-testid=preview-line] td:first-child", (cells) =>
      cells.map((c) => c.textContent),
    );
    expect(shown).toEqual(preview.lines.map((l: any) => l.description));
    await page.screenshot({ path: `${SCREENSHOTS}/portal-change-preview.png`, fullPage: true });
    await Promise.all([page.waitForURL(/done=change/), page.click("[data-testid=confirm-change]")]);
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).plan).toBe(team.id);

    await Promise.all([page.waitForURL(/done=cancel/), page.click("[data-testid=cancel]")]);
    expect(await page.textContent("[data-testid=renewal]")).toContain("Cancels on");
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).cancel_at_period_end).toBe(true);
    await Promise.all([page.waitForURL(/done=resume/), page.click("[data-testid=resume]")]);
    expect(await page.textContent("[data-testid=renewal]")).toContain("Renews on");
    expect((await ok("GET", `/v1/subscriptions/${sub.id}`)).cancel_at_period_end).toBe(false);

    // The link was used: in another browser it is refused, and that browser has no session.
    const other = await browser.newContext();
    const stranger = await other.newPage();
    const reused = await stranger.goto(local(session.url));
    expect(reused?.status()).toBe(410);
    expect(await stranger.textContent("[data-testid=refusal]")).toContain("already been used");
    expect((await stranger.goto(`${base()}/portal`))?.status()).toBe(403);
    await other.close();
    await context.close();
  }, 60_000);
});
