import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Config } from "../../actors/config";
import { loadConfig } from "../../actors/config";
import { modeOf } from "../../actors/env";
import { customerStub, planStub, portalSessionStub, subscriptionStub } from "../../actors/stubs";
import type { Customer } from "../../contract/customer";
import type { Plan } from "../../contract/plan";
import type { Subscription } from "../../contract/subscription";
import { instantFromMillis } from "../../domain/time";
import { PLAN_LIST_PREFIX } from "../../lib/plan-catalog";
import { TEST_CARDS } from "../../pages/invoice-page";
import { renderChangePreview, renderPortal } from "../../pages/portal-page";
import { newNonce, pageHeaders } from "../../pages/shell";
import type { AppEnv } from "../context";
import { listCustomerInvoices, listCustomerSubscriptions } from "../customer-reads";
import { blockedFor, clientOf, csrfToken, recordFailure, sameOriginPost, sameSecret } from "../page-guard";
import { refusal } from "./hosted-pages";

// The customer portal (API §11). A link from POST /v1/billing_portal/sessions opens once and
// becomes a session cookie (HttpOnly, SameSite=Lax, path /portal) for that one customer; every
// page reads the customer from the cookie and every action checks the object is theirs.

const COOKIE = "billify_portal";
const SECRET = /^[0-9a-f]{32}$/;

interface Session {
  customer: Customer;
  returnUrl: string | null;
  secret: string;
  csrf: string;
  config: Config;
}

export function portalPageRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/portal/s/:session/:secret", async (c) => {
    const client = clientOf(c.req.raw);
    const wait = blockedFor(client, Date.now());
    if (wait > 0) return refusal(c, 429, "Too many wrong links from this address: try again in a minute.", wait);
    const sessionId = c.req.param("session");
    const secret = c.req.param("secret");
    const stub = SECRET.test(secret) ? portalSessionStub(c.env, sessionId) : null;
    const redeemed = stub ? await stub.redeemPortalLink(sessionId, secret, instantFromMillis(Date.now())) : null;
    if (!redeemed?.ok) {
      if (!redeemed || redeemed.reason === "unknown") {
        recordFailure(client, Date.now());
        return refusal(c, 404, "This link is not valid. Ask for a new one.");
      }
      return refusal(
        c,
        410,
        redeemed.reason === "used"
          ? "This link has already been used. Ask for a new one."
          : "This link has expired. Ask for a new one.",
      );
    }
    setCookie(c, COOKIE, `${redeemed.customer}.${redeemed.cookieSecret}`, {
      path: "/portal",
      httpOnly: true,
      sameSite: "Lax",
      secure: new URL(c.req.url).protocol === "https:",
      maxAge: Math.max(1, redeemed.expiresAt - instantFromMillis(Date.now())),
    });
    return c.redirect("/portal", 303);
  });

  app.get("/portal", async (c) => {
    const session = await sessionOf(c);
    if (session instanceof Response) return session;
    const { customer, config } = session;
    const [subs, invoices, catalog] = await Promise.all([
      listCustomerSubscriptions(c.env, customer.id, 100, null),
      listCustomerInvoices(c.env, customer.id, 100, null),
      activePlans(c),
    ]);
    const subscriptions = await Promise.all(
      (subs.ok ? subs.value.data : []).map(async (subscription) => ({
        subscription,
        plan: await planOf(c, subscription.plan, catalog),
        options: catalog.filter((p) => p.currency === subscription.currency && p.id !== subscription.plan),
      })),
    );
    const nonce = newNonce();
    const page = renderPortal({
      seller: config.seller,
      nonce,
      csrf: session.csrf,
      testMode: modeOf(c.env) === "test",
      returnUrl: session.returnUrl,
      customer,
      subscriptions,
      invoices: invoices.ok ? invoices.value.data : [],
      notice: NOTICES[c.req.query("done") ?? ""] ?? null,
    });
    return c.html(await page, 200, pageHeaders(nonce, config.seller));
  });

  app.get("/portal/subscriptions/:id/change", async (c) => {
    const session = await sessionOf(c);
    if (session instanceof Response) return session;
    const subscription = await ownSubscription(c, session);
    if (subscription instanceof Response) return subscription;
    const catalog = await activePlans(c);
    const to = catalog.find((p) => p.id === c.req.query("plan") && p.currency === subscription.currency);
    if (!to) return refusal(c, 400, "Choose one of the plans offered.");
    const preview = await subscriptionStub(c.env, subscription.id)!.previewChange(subscription.id, {
      plan: to.id,
      proration_behavior: "create_prorations",
    });
    if (!preview.ok) return refusal(c, 400, preview.error.message);
    const nonce = newNonce();
    const page = renderChangePreview({
      seller: session.config.seller,
      nonce,
      csrf: session.csrf,
      subscription,
      from: await planOf(c, subscription.plan, catalog),
      to,
      preview: preview.value,
    });
    return c.html(await page, 200, pageHeaders(nonce, session.config.seller));
  });

  app.post("/portal/subscriptions/:id/:action{change|cancel|resume}", async (c) => {
    const session = await postSession(c);
    if (session instanceof Response) return session;
    const subscription = await ownSubscription(c, session);
    if (subscription instanceof Response) return subscription;
    const stub = subscriptionStub(c.env, subscription.id)!;
    const action = c.req.param("action");
    if (action === "cancel") {
      const done = await stub.cancel(subscription.id, true, null);
      if (!done.ok) return refusal(c, 400, done.error.message);
    } else if (action === "resume") {
      const done = await stub.resume(subscription.id, null);
      if (!done.ok) return refusal(c, 400, done.error.message);
    } else {
      const form = await c.req.parseBody();
      const plan = typeof form.plan === "string" ? form.plan : "";
      const offered = (await activePlans(c)).some((p) => p.id === plan && p.currency === subscription.currency);
      if (!offered) return refusal(c, 400, "Choose one of the plans offered.");
      const done = await stub.change(subscription.id, { plan, proration_behavior: "create_prorations" }, null);
      if (!done.ok) return refusal(c, 400, done.error.message);
    }
    return c.redirect(`/portal?done=${action}`, 303);
  });

  app.post("/portal/payment_method", async (c) => {
    const session = await postSession(c);
    if (session instanceof Response) return session;
    const form = await c.req.parseBody();
    const token = typeof form.payment_method === "string" ? form.payment_method : "";
    // Test mode: one of the §5 test tokens. Live mode would collect a card with a Stripe
    // SetupIntent (README "Customer portal"); this form is not offered there.
    if (modeOf(c.env) !== "test" || !TEST_CARDS.some((card) => card.token === token))
      return refusal(c, 400, "Choose one of the offered payment methods.");
    const done = await customerStub(c.env, session.customer.id)!.update(
      session.customer.id,
      { payment_method: token },
      null,
    );
    if (!done.ok) return refusal(c, 400, done.error.message);
    return c.redirect("/portal?done=payment_method", 303);
  });

  app.post("/portal/sign_out", async (c) => {
    const session = await postSession(c);
    if (session instanceof Response) return session;
    await customerStub(c.env, session.customer.id)!.endPortalSession(session.secret);
    deleteCookie(c, COOKIE, { path: "/portal" });
    return refusal(c, 403, "You are signed out. Open a new link to come back.");
  });

  return app;
}

const NOTICES: Record<string, string> = {
  cancel: "Your subscription will end at the end of the current period.",
  resume: "Your subscription continues.",
  change: "Your plan has been changed.",
  payment_method: "Your payment method has been replaced.",
};

/** The customer the session cookie opens, or the refusal to send (401 page). */
async function sessionOf(c: Context<AppEnv>): Promise<Session | Response> {
  const cookie = getCookie(c, COOKIE) ?? "";
  const [customerId, secret] = cookie.split(".");
  const stub = customerId && secret && SECRET.test(secret) ? customerStub(c.env, customerId) : null;
  const session = stub ? await stub.portalSession(secret!, instantFromMillis(Date.now())) : null;
  if (!session) return refusal(c, 403, "Your session has ended. Open a new link to your billing portal.");
  return { ...session, secret: secret!, csrf: await csrfToken("portal", secret!), config: loadConfig(c.env) };
}

/** A form post: same origin, a live session, and its CSRF token. */
async function postSession(c: Context<AppEnv>): Promise<Session | Response> {
  if (!sameOriginPost(c.req.raw)) return refusal(c, 403, "This form can only be sent from its own page.");
  const session = await sessionOf(c);
  if (session instanceof Response) return session;
  const form = await c.req.parseBody();
  if (typeof form.csrf !== "string" || !(await sameSecret(form.csrf, session.csrf)))
    return refusal(c, 403, "This form has expired: reload the page and try again.");
  return session;
}

/** The subscription in the path if it is this customer's; anything else is "not found". */
async function ownSubscription(c: Context<AppEnv>, session: Session): Promise<Subscription | Response> {
  const id = c.req.param("id") ?? "";
  const found = await subscriptionStub(c.env, id)?.get(id);
  if (!found?.ok || found.value.customer !== session.customer.id) return refusal(c, 404, "No such subscription.");
  return found.value;
}

/** Active plans of the catalog (its KV list, first 1,000), offered for a change. */
async function activePlans(c: Context<AppEnv>): Promise<Plan[]> {
  const listed = await c.env.BILLIFY_KV.list({ prefix: PLAN_LIST_PREFIX, limit: 1000 });
  const plans = await Promise.all(listed.keys.map((k) => c.env.BILLIFY_KV.get<Plan>(k.name, "json")));
  return plans.filter((p): p is Plan => p?.active === true);
}

async function planOf(c: Context<AppEnv>, id: string, catalog: Plan[]): Promise<Plan | null> {
  const known = catalog.find((p) => p.id === id);
  if (known) return known;
  const plan = await planStub(c.env, id)?.get(id);
  return plan?.ok ? plan.value : null;
}
