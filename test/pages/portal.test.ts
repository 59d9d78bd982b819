import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createCustomer, createPlan, ok } from "../helpers";

// The customer portal (API §11) in the Worker: a single-use, expiring link exchanged for a
// session cookie scoped to one customer; cancel, resume, change after a preview, new card.

const ORIGIN = "http://localhost:8787";

/** A browser with a cookie jar of one cookie (the portal's). */
function browser() {
  let cookie = "";
  return {
    async go(path: string, init: RequestInit = {}) {
      const headers = new Headers(init.headers);
      headers.set("CF-Connecting-IP", "203.0.113.50");
      if (cookie) headers.set("Cookie", cookie);
      const response = await exports.default.fetch(
        new Request(`${ORIGIN}${path}`, { ...init, headers, redirect: "manual" }),
      );
      const set = response.headers.get("Set-Cookie");
      if (set) cookie = set.split(";")[0]!;
      return response;
    },
    async post(path: string, fields: Record<string, string>) {
      return this.go(path, {
        method: "POST",
        body: new URLSearchParams(fields),
        headers: { "Sec-Fetch-Site": "same-origin", Origin: ORIGIN },
      });
    },
    get cookie() {
      return cookie;
    },
  };
}

async function customerWithSubscription(amount = 1000) {
  const customer = await createCustomer({ name: "Grace Hopper" });
  const plan = await createPlan({ amount, name: `Basic ${amount}` });
  const subscription = await ok("POST", "/v1/subscriptions", { customer: customer.id, plan: plan.id });
  return { customer, plan, subscription };
}

async function portalLink(customerId: string) {
  return ok("POST", "/v1/billing_portal/sessions", { customer: customerId, return_url: "https://example.com/account" });
}

const csrfOf = (html: string) => /name="csrf" value="([0-9a-f]{64})"/.exec(html)![1]!;

describe("POST /v1/billing_portal/sessions", () => {
  it("makes a 30-minute link for the customer, and refuses an unknown customer or a bad return_url", async () => {
    const { customer } = await customerWithSubscription();
    const session = await portalLink(customer.id);
    expect(session).toMatchObject({
      object: "billing_portal.session",
      customer: customer.id,
      return_url: "https://example.com/account",
    });
    expect(session.id).toMatch(/^bps_[0-9A-Z]{26}$/);
    expect(session.url).toMatch(new RegExp(`^${ORIGIN}/portal/s/${session.id}/[0-9a-f]{32}$`));
    expect(Date.parse(session.expires_at) - Date.parse(session.created)).toBe(1_800_000);
    const unknown = await api("POST", "/v1/billing_portal/sessions", {
      customer: "cus_nope",
      return_url: "https://x.y",
    });
    expect([unknown.status, unknown.body.error.param]).toEqual([400, "customer"]);
    const badUrl = await api("POST", "/v1/billing_portal/sessions", {
      customer: customer.id,
      return_url: "javascript:1",
    });
    expect([badUrl.status, badUrl.body.error.param]).toEqual([400, "return_url"]);
    const noKey = await api(
      "POST",
      "/v1/billing_portal/sessions",
      { customer: customer.id, return_url: "https://x.y" },
      { key: null },
    );
    expect(noKey.status).toBe(401);
  });
});

describe("the portal link", () => {
  it("opens once: the first open sets a session cookie and shows the portal, a second open is refused", async () => {
    const { customer, subscription } = await customerWithSubscription();
    const link = new URL((await portalLink(customer.id)).url).pathname;
    const b = browser();
    const opened = await b.go(link);
    expect(opened.status).toBe(303);
    expect(opened.headers.get("Location")).toBe("/portal");
    const setCookie = opened.headers.get("Set-Cookie")!;
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).toContain("Path=/portal");
    const portal = await b.go("/portal");
    expect(portal.status).toBe(200);
    expect(portal.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    const html = await portal.text();
    expect(html).toContain(subscription.id);
    expect(html).toContain("Grace Hopper");
    expect(html).not.toMatch(/sk_(test|admin)_/);
    const invoice = (await ok("GET", `/v1/subscriptions/${subscription.id}/invoices`)).data[0];
    expect(html).toContain(`href="${new URL(invoice.hosted_invoice_url).pathname}"`);

    const again = await browser().go(link);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain("already been used");
    expect((await browser().go("/portal")).status).toBe(403);
  });

  it("is refused once expired", async () => {
    const { customer } = await customerWithSubscription();
    const session = await portalLink(customer.id);
    const stub = env.CUSTOMERS.getByName(customer.id.slice(-16));
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE portal_session SET expires_at = expires_at - 1801 WHERE id = ?", session.id);
    });
    const expired = await browser().go(new URL(session.url).pathname);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("expired");
  });
});

describe("the portal", () => {
  it("cancels at period end, resumes, replaces the card, and changes plan after showing the preview", async () => {
    const { customer, plan, subscription } = await customerWithSubscription(1000);
    const bigger = await createPlan({ amount: 3000, name: "Team" });
    const b = browser();
    await b.go(new URL((await portalLink(customer.id)).url).pathname);
    let html = await (await b.go("/portal")).text();
    const csrf = csrfOf(html);
    expect(html).toContain(`value="${bigger.id}"`);
    expect(html).not.toContain(`<option value="${plan.id}"`);

    const canceled = await b.post(`/portal/subscriptions/${subscription.id}/cancel`, { csrf });
    expect([canceled.status, canceled.headers.get("Location")]).toEqual([303, "/portal?done=cancel"]);
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).cancel_at_period_end).toBe(true);
    html = await (await b.go("/portal?done=cancel")).text();
    expect(html).toContain("Cancels on");
    await b.post(`/portal/subscriptions/${subscription.id}/resume`, { csrf });
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).cancel_at_period_end).toBe(false);

    await b.post("/portal/payment_method", { csrf, payment_method: "pm_card_chargeDeclined" });
    expect((await ok("GET", `/v1/customers/${customer.id}`)).payment_method).toBe("pm_card_chargeDeclined");
    expect((await b.post("/portal/payment_method", { csrf, payment_method: "pm_evil" })).status).toBe(400);
    await b.post("/portal/payment_method", { csrf, payment_method: "pm_card_visa" });

    const preview = await b.go(`/portal/subscriptions/${subscription.id}/change?plan=${bigger.id}`);
    expect(preview.status).toBe(200);
    const previewHtml = await preview.text();
    const expected = await ok("POST", `/v1/subscriptions/${subscription.id}/preview_change`, { plan: bigger.id });
    for (const line of expected.lines) expect(previewHtml).toContain(line.description);
    expect(expected.lines).toHaveLength(2);
    const changed = await b.post(`/portal/subscriptions/${subscription.id}/change`, { csrf, plan: bigger.id });
    expect(changed.headers.get("Location")).toBe("/portal?done=change");
    expect((await ok("GET", `/v1/subscriptions/${subscription.id}`)).plan).toBe(bigger.id);
  });

  it("opens nothing of another customer's, and refuses forms without the session's token or from another site", async () => {
    const mine = await customerWithSubscription();
    const theirs = await customerWithSubscription();
    const b = browser();
    await b.go(new URL((await portalLink(mine.customer.id)).url).pathname);
    const html = await (await b.go("/portal")).text();
    expect(html).not.toContain(theirs.subscription.id);
    const csrf = csrfOf(html);
    expect((await b.post(`/portal/subscriptions/${theirs.subscription.id}/cancel`, { csrf })).status).toBe(404);
    const other = await createPlan({ amount: 500 });
    expect((await b.go(`/portal/subscriptions/${theirs.subscription.id}/change?plan=${other.id}`)).status).toBe(404);
    expect(
      (await b.post(`/portal/subscriptions/${theirs.subscription.id}/change`, { csrf, plan: other.id })).status,
    ).toBe(404);
    expect((await ok("GET", `/v1/subscriptions/${theirs.subscription.id}`)).cancel_at_period_end).toBe(false);
    expect((await ok("GET", `/v1/subscriptions/${theirs.subscription.id}`)).plan).toBe(theirs.plan.id);
    // Their cookie name with my secret: the secret is checked by their actor, and fails.
    const forged = b.cookie.replace(mine.customer.id, theirs.customer.id);
    const stolen = await exports.default.fetch(new Request(`${ORIGIN}/portal`, { headers: { Cookie: forged } }));
    expect(stolen.status).toBe(403);

    expect(
      (await b.post(`/portal/subscriptions/${mine.subscription.id}/cancel`, { csrf: "0".repeat(64) })).status,
    ).toBe(403);
    const crossSite = await b.go(`/portal/subscriptions/${mine.subscription.id}/cancel`, {
      method: "POST",
      body: new URLSearchParams({ csrf }),
      headers: { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    expect((await ok("GET", `/v1/subscriptions/${mine.subscription.id}`)).cancel_at_period_end).toBe(false);
    // Signing out ends the session.
    await b.post("/portal/sign_out", { csrf });
    expect((await b.go("/portal")).status).toBe(403);
  });
});
