// @ts-check
/**
 * The admin dashboard (GET /admin): plain JavaScript served as a static asset, no build step and no
 * framework, type-checked by `tsc -p tsconfig.dashboard.json` (part of `npm test`) against the
 * generated client types in clients/billify.d.ts. It asks for the admin key, keeps it in
 * sessionStorage (this tab only) and sends it as a Bearer header to the same /v1 API as any
 * client; the live subscription page opens partyserver's WebSocket with a short-lived token.
 *
 * Money is integer minor units end to end: amounts are turned into decimal strings by integer
 * arithmetic, with the exponents of the project's one currency table (src/contract/currencies.ts)
 * that the page embeds as JSON (#currency-exponents), and handed to Intl as strings.
 */

/** @typedef {import("../../clients/billify").components["schemas"]} Schemas */
/** @typedef {Schemas["Subscription"]} Subscription */
/** @typedef {Schemas["SubscriptionUsage"]} SubscriptionUsage */
/** @typedef {Schemas["SubscriptionSummary"]} SubscriptionSummary */
/** @typedef {Schemas["Invoice"]} Invoice */
/** @typedef {Schemas["Payment"]} Payment */
/** @typedef {Schemas["Event"]} BillingEvent */
/** @typedef {Schemas["Customer"]} Customer */
/** @typedef {Schemas["Metrics"]} Metrics */
/** @typedef {Schemas["Email"]} Email */
/** @typedef {Schemas["LiveToken"]} LiveToken */
/** @typedef {Schemas["DeadLetter"]} DeadLetter */
/** @template T @typedef {{ data: T[], has_more: boolean, next_cursor: string | null }} Page */
/** @typedef {Node | string | number | null | undefined | false} Leaf */
/** @typedef {Leaf | Leaf[]} Child a node, a text, nothing, or a list of those */
/** @typedef {Record<string, string | number | boolean | null | undefined | ((event: any) => void)>} Attributes */
/** @typedef {{ closed: boolean, socket: WebSocket | null, id: string }} Live */

const KEY = "billify.adminKey";
const view = byId("view");
/** @type {Live | null} */
let live = null;

/** @type {Readonly<Record<string, number>>} */
const EXPONENTS = JSON.parse(byId("currency-exponents").textContent || "{}");

/** @param {string} id */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}
/** @param {string} id */
function inputById(id) {
  return /** @type {HTMLInputElement} */ (byId(id));
}

function key() {
  return sessionStorage.getItem(KEY);
}

/** An error from the API, with the HTTP status when there was one. */
class ApiFailure extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/**
 * @template [T=any]
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${key()}` };
  /** @type {RequestInit} */
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const json = await res.json().catch(() => ({}));
  if (res.status === 401) {
    signOut();
    throw new ApiFailure("Signed out: the admin key was refused.", 401);
  }
  if (!res.ok) throw new ApiFailure(json.error?.message || `HTTP ${res.status}`, res.status);
  return json;
}

/**
 * h("tag.class", {attr}, children...) builds DOM nodes; text is always text, never HTML.
 * @param {string} spec
 * @param {Attributes | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
function h(spec, attrs, ...children) {
  const parts = spec.split(".");
  const el = document.createElement(parts[0] || "div");
  if (parts.length > 1) el.className = parts.slice(1).join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children) append(el, child);
  return el;
}
/** @param {HTMLElement} el @param {Child} child */
function append(el, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(el, c);
    return;
  }
  el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
}
/** @param {...Node} nodes */
function show(...nodes) {
  view.replaceChildren(...nodes);
}

/**
 * An amount of integer minor units for people, in the currency's own decimals: 2000 usd is
 * "$20.00", 2000 jpy "¥2,000", 1500 kwd "KWD 1.500". The decimal string is built with integer
 * arithmetic and formatted by Intl as a string numeral, so no amount passes through a float.
 * @param {number} minor
 * @param {string} currency
 */
function money(minor, currency) {
  const code = String(currency || "").toLowerCase();
  const exponent = EXPONENTS[code] ?? 2;
  if (!Number.isSafeInteger(minor)) return `${minor} ${currency}`;
  const digits = Math.abs(minor)
    .toString()
    .padStart(exponent + 1, "0");
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const decimal = `${minor < 0 ? "-" : ""}${whole}${exponent === 0 ? "" : `.${digits.slice(-exponent)}`}`;
  try {
    const format = new Intl.NumberFormat(undefined, {
      style: "currency",
      currency: code.toUpperCase(),
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    return format.format(/** @type {any} */ (decimal));
  } catch {
    return `${decimal} ${currency}`;
  }
}
/** @param {string | null | undefined} iso */
function when(iso) {
  return iso ? iso.replace("T", " ").replace(":00Z", "").replace("Z", "") : "—";
}
/** @param {string} status */
function badge(status) {
  return h(`span.badge.s-${status}`, { "data-status": status }, status.replace(/_/g, " "));
}
/**
 * A table whose headers starting with "#" are numeric (right-aligned).
 * @param {string[]} headers
 * @param {HTMLElement[]} rows
 * @param {string} [empty]
 */
function table(headers, rows, empty) {
  if (!rows.length) return h("div.table", null, h("p.empty", null, empty || "Nothing here yet."));
  return h(
    "div.table",
    null,
    h(
      "table",
      null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          headers.map((x) => h(x.startsWith("#") ? "th.num" : "th", null, x.replace(/^#/, ""))),
        ),
      ),
      h("tbody", null, rows),
    ),
  );
}
/** @param {unknown} err */
function fail(err) {
  show(h("p.error", { role: "alert" }, err instanceof Error ? err.message : String(err)));
}

// ---- routing -----------------------------------------------------------------------
function route() {
  stopLive();
  if (!key()) {
    showSignIn();
    return;
  }
  byId("sign-in").hidden = true;
  byId("nav").hidden = false;
  const hash = location.hash.replace(/^#/, "") || "/subscriptions";
  const q = hash.indexOf("?");
  const path = q < 0 ? hash : hash.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : hash.slice(q + 1));
  for (const a of document.querySelectorAll("header nav a")) {
    a.classList.toggle("active", path.startsWith((a.getAttribute("href") || "").slice(1)));
  }
  let m = /^\/subscriptions\/([^/]+)$/.exec(path);
  if (m?.[1]) return subscriptionPage(decodeURIComponent(m[1]));
  m = /^\/customers\/([^/]+)$/.exec(path);
  if (m?.[1]) return customerPage(decodeURIComponent(m[1]));
  if (path === "/customers") return customersPage(params);
  if (path === "/metrics") return metricsPage();
  if (path === "/emails") return emailsPage();
  if (path === "/dead-letters") return deadLettersPage();
  return subscriptionsPage(params);
}
/** @param {string} path @param {Record<string, string | null | undefined>} [params] */
function go(path, params) {
  /** @type {[string, string][]} */
  const set = [];
  for (const [k, v] of Object.entries(params || {})) if (v) set.push([k, v]);
  const qs = new URLSearchParams(set).toString();
  location.hash = path + (qs ? `?${qs}` : "");
}

function showSignIn() {
  byId("nav").hidden = true;
  show();
  byId("sign-in").hidden = false;
  byId("admin-key").focus();
}
byId("sign-in").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = inputById("admin-key");
  const error = byId("sign-in-error");
  sessionStorage.setItem(KEY, input.value.trim());
  error.textContent = "";
  api("GET", "/v1/admin/metrics")
    .then(() => {
      input.value = "";
      detectEmails();
      route();
    })
    .catch((err) => {
      sessionStorage.removeItem(KEY);
      error.textContent =
        err instanceof ApiFailure && err.status === 403
          ? "That is an API key; the dashboard needs the admin key."
          : err.message;
    });
});
function signOut() {
  sessionStorage.removeItem(KEY);
  stopLive();
  showSignIn();
}
byId("sign-out").addEventListener("click", signOut);

/** The emails tab exists only where GET /v1/admin/emails answers (test mode). */
function detectEmails() {
  if (document.body.dataset.mode !== "test" || !key()) return;
  api("GET", "/v1/admin/emails?limit=1")
    .then(() => {
      byId("nav-emails").hidden = false;
    })
    .catch(() => {});
}

// ---- subscriptions -----------------------------------------------------------------
const STATUSES = ["trialing", "active", "incomplete", "incomplete_expired", "past_due", "unpaid", "canceled"];

/** @param {URLSearchParams} params */
function subscriptionsPage(params) {
  const filters = {
    status: params.get("status") || "",
    plan: params.get("plan") || "",
    customer: params.get("customer") || "",
  };
  const cursors = (params.get("trail") || "").split(",").filter(Boolean);
  const cursor = params.get("cursor") || "";
  const status = /** @type {HTMLSelectElement} */ (
    h(
      "select",
      { name: "status", "data-testid": "filter-status" },
      h("option", { value: "" }, "any status"),
      STATUSES.map((s) => h("option", { value: s, selected: s === filters.status }, s.replace(/_/g, " "))),
    )
  );
  const plan = /** @type {HTMLInputElement} */ (
    h("input", { name: "plan", placeholder: "plan id", value: filters.plan, "data-testid": "filter-plan" })
  );
  const customer = /** @type {HTMLInputElement} */ (
    h("input", { name: "customer", placeholder: "cus_…", value: filters.customer, "data-testid": "filter-customer" })
  );
  /** @param {Event} [ev] */
  function apply(ev) {
    if (ev) ev.preventDefault();
    go("/subscriptions", { status: status.value, plan: plan.value.trim(), customer: customer.value.trim() });
  }
  status.addEventListener("change", () => apply());
  const form = h(
    "form.filters",
    { onsubmit: apply },
    h("label", null, "Status", status),
    h("label", null, "Plan", plan),
    h("label", null, "Customer", customer),
    h("button", { type: "submit" }, "Filter"),
  );
  show(h("h1", null, "Subscriptions"), form, h("p.empty", null, "Loading…"));
  const qs = new URLSearchParams({ limit: "20" });
  for (const [k, v] of Object.entries(filters)) if (v) qs.set(k, v);
  if (cursor) qs.set("cursor", cursor);
  api("GET", `/v1/admin/subscriptions?${qs}`)
    .then((/** @type {Page<SubscriptionSummary>} */ page) => {
      const rows = page.data.map((s) =>
        h(
          "tr",
          { "data-href": s.id, "data-testid": "subscription-row", onclick: () => go(`/subscriptions/${s.id}`) },
          h("td.mono", null, h("a", { href: `#/subscriptions/${s.id}` }, s.id)),
          h("td", null, badge(s.status)),
          h("td.mono", null, s.plan),
          h("td.num", null, money(s.amount * s.quantity, s.currency)),
          h("td", null, s.quantity),
          h("td.mono", null, s.customer),
          h("td", null, when(s.current_period_end)),
        ),
      );
      const previous = { ...filters, cursor: cursors[cursors.length - 1] || "", trail: cursors.slice(0, -1).join(",") };
      const next = { ...filters, cursor: page.next_cursor, trail: cursors.concat(cursor ? [cursor] : ["-"]).join(",") };
      const pager = h(
        "div.pager",
        null,
        h("button", { disabled: !cursor, onclick: () => go("/subscriptions", previous) }, "← Previous"),
        h(
          "button",
          { "data-testid": "next-page", disabled: !page.has_more, onclick: () => go("/subscriptions", next) },
          "Next →",
        ),
      );
      show(
        h("h1", null, "Subscriptions"),
        form,
        table(
          ["Subscription", "Status", "Plan", "#Amount", "Qty", "Customer", "Period end"],
          rows,
          "No subscription matches.",
        ),
        pager,
        h("p.live", null, "From the read model: changes appear within seconds."),
      );
    })
    .catch(fail);
}

/** @param {string} id */
function subscriptionPage(id) {
  const liveBadge = h("span.live", { "data-testid": "live-status" }, "○ connecting…");
  const path = `/v1/subscriptions/${encodeURIComponent(id)}`;
  show(h("p.empty", null, "Loading…"));
  async function load() {
    const [sub, invoices, events, usage] = await Promise.all([
      /** @type {Promise<Subscription>} */ (api("GET", path)),
      /** @type {Promise<Page<Invoice>>} */ (api("GET", `${path}/invoices?limit=100`)),
      /** @type {Promise<Page<BillingEvent>>} */ (api("GET", `${path}/events?limit=100`)),
      /** @type {Promise<SubscriptionUsage>} */ (api("GET", `${path}/usage`)),
    ]);
    const payments = await Promise.all(
      invoices.data.map((inv) => /** @type {Promise<Page<Payment>>} */ (api("GET", `/v1/invoices/${inv.id}/payments`))),
    );
    renderSubscription(
      sub,
      invoices.data,
      payments.map((p) => p.data),
      events.data,
      liveBadge,
      usage,
    );
  }
  load()
    .then(() => startLive(id, load, liveBadge))
    .catch(fail);
}

/**
 * @param {Subscription} sub
 * @param {Invoice[]} invoices
 * @param {Payment[][]} payments the payments of each invoice, in the same order
 * @param {BillingEvent[]} events
 * @param {HTMLElement} liveBadge
 * @param {SubscriptionUsage} usage the current period's usage so far, priced per charge
 */
function renderSubscription(sub, invoices, payments, events, liveBadge, usage) {
  /** @param {string} label @param {Child} value */
  const field = (label, value) => h("div", null, h("span", null, label), value);
  const details = h(
    "div.card.grid",
    { "data-testid": "subscription-details" },
    field("Status", badge(sub.status)),
    field("Plan", h("span.mono", null, sub.plan)),
    field("Quantity", sub.quantity),
    field("Customer", h("a.mono", { href: `#/customers/${sub.customer}` }, sub.customer)),
    field("Current period", `${when(sub.current_period_start)} → ${when(sub.current_period_end)}`),
    field("Cancel at period end", sub.cancel_at_period_end ? "yes" : "no"),
    field("Credit balance", money(sub.credit_balance, sub.currency)),
    field(
      "Collection",
      h(
        "span",
        { "data-testid": "pause-collection" },
        sub.pause_collection
          ? `paused: ${sub.pause_collection.behavior.replace(/_/g, " ")}${
              sub.pause_collection.resumes_at ? ` until ${when(sub.pause_collection.resumes_at)}` : ""
            }`
          : "collecting",
      ),
    ),
    field("Test clock", sub.test_clock ? h("span.mono", null, sub.test_clock) : "—"),
    field("Created", when(sub.created)),
    sub.discount
      ? field(
          "Discount",
          h(
            "span.mono",
            { "data-testid": "subscription-discount" },
            sub.discount.coupon.id + (sub.discount.end ? ` until ${when(sub.discount.end)}` : ""),
          ),
        )
      : null,
    sub.ended_at ? field("Ended", when(sub.ended_at)) : null,
  );
  /** @type {HTMLElement[]} */
  const invoiceRows = [];
  invoices.forEach((inv, i) => {
    invoiceRows.push(
      h(
        "tr",
        { "data-testid": "invoice-row" },
        h("td.mono", null, inv.number ?? "draft"),
        h("td", null, badge(inv.status)),
        h("td", null, inv.billing_reason.replace(/_/g, " ")),
        h("td", null, `${when(inv.period_start)} → ${when(inv.period_end)}`),
        h("td.num", null, money(inv.total, inv.currency)),
        h("td.num", null, money(inv.amount_paid, inv.currency)),
        h("td.num", null, money(inv.amount_remaining, inv.currency)),
      ),
    );
    for (const line of inv.lines) {
      invoiceRows.push(
        h(
          "tr.lines",
          null,
          h("td", { colspan: 4 }, line.description),
          h("td.num", null, money(line.amount, inv.currency)),
          h("td", { colspan: 2 }, line.type),
        ),
      );
    }
    // Rule 13d and 16: the invoice's discounts and taxes (an inclusive tax is already inside the lines).
    for (const d of inv.total_discount_amounts) {
      invoiceRows.push(
        h(
          "tr.lines",
          { "data-testid": "discount-row" },
          h("td", { colspan: 4 }, `Discount · ${d.coupon}`),
          h("td.num", null, money(-d.amount, inv.currency)),
          h("td", { colspan: 2 }, "discount"),
        ),
      );
    }
    for (const t of inv.total_tax_amounts) {
      invoiceRows.push(
        h(
          "tr.lines",
          { "data-testid": "tax-row" },
          h("td", { colspan: 4 }, t.display_name ?? t.tax_rate),
          h("td.num", null, money(t.amount, inv.currency)),
          h("td", { colspan: 2 }, t.inclusive ? "tax (included)" : "tax"),
        ),
      );
    }
    for (const p of payments[i] || []) {
      // What needs the operator: a refund given up on (the money is still owed), or an attempt
      // still pending past the reconcile window.
      const attention = [
        p.refund_status === "failed" ? `refund failed: ${p.refund_failure_message ?? p.refund_failure_code}` : "",
        p.needs_attention ? "needs attention: still pending at the gateway after 23 h" : "",
      ].filter(Boolean);
      const label = `Payment #${p.attempt} · ${p.method}${p.failure_code ? ` · ${p.failure_code}` : ""} · ${when(p.created)}${attention.map((a) => ` · ${a}`).join("")}`;
      invoiceRows.push(
        h(
          "tr.lines",
          { "data-testid": "payment-row" },
          h("td", { colspan: 4 }, label),
          h("td.num", null, money(p.amount, p.currency)),
          h("td", { colspan: 2 }, badge(p.status)),
        ),
      );
    }
  });
  const eventRows = events
    .slice()
    .reverse()
    .map((e) =>
      h(
        "tr",
        { "data-testid": "event-row" },
        h("td", null, when(e.created)),
        h("td.mono", null, e.type),
        h("td.mono", null, e.id),
      ),
    );
  const usageRows = usage.data.map((u) =>
    h(
      "tr",
      { "data-testid": "usage-row" },
      h("td", null, `#${u.charge}`),
      h("td.mono", null, u.meter),
      h("td", null, `${when(u.period_start)} → ${when(u.period_end)}`),
      h("td.num", null, u.usage_quantity),
      h("td.num", null, money(u.amount, usage.currency)),
    ),
  );
  show(
    h("p", null, h("a", { href: "#/subscriptions" }, "← Subscriptions")),
    h("h1", null, h("span.mono", null, sub.id), " ", liveBadge),
    details,
    h(
      "div",
      { "data-testid": "usage" },
      usageRows.length > 0 ? h("h2", null, `Current usage (${money(usage.total, usage.currency)})`) : null,
      usageRows.length > 0 ? table(["Charge", "Meter", "Period", "#Quantity", "#Amount"], usageRows, "") : null,
    ),
    h("h2", null, `Invoices (${invoices.length})`),
    table(["Number", "Status", "Reason", "Period", "#Total", "#Paid", "#Remaining"], invoiceRows, "No invoice yet."),
    h("h2", null, `Events (${events.length}, newest first)`),
    table(["Time", "Type", "Id"], eventRows, "No event yet."),
  );
}

/**
 * Live: a token from the admin API opens partyserver's WebSocket to this subscription's actor;
 * every change it commits arrives as a message and the page reloads its data.
 * @param {string} id
 * @param {() => Promise<void>} reload
 * @param {HTMLElement} liveBadge
 */
function startLive(id, reload, liveBadge) {
  /** @type {Live} */
  const state = { closed: false, socket: null, id };
  live = state;
  function connect() {
    api("POST", "/v1/admin/live_tokens", { subscription: id })
      .then((/** @type {LiveToken} */ t) => {
        if (state.closed) return;
        const socket = new WebSocket(`${location.protocol === "https:" ? "wss://" : "ws://"}${location.host}${t.url}`);
        state.socket = socket;
        socket.onopen = () => {
          liveBadge.textContent = "● live";
          liveBadge.classList.add("on");
        };
        socket.onmessage = (msg) => {
          const data = JSON.parse(msg.data);
          if (data.type === "subscription.changed") reload().catch(fail);
        };
        socket.onclose = () => {
          liveBadge.textContent = "○ reconnecting…";
          liveBadge.classList.remove("on");
          if (!state.closed) setTimeout(connect, 2000);
        };
      })
      .catch(() => {
        if (!state.closed) setTimeout(connect, 5000);
      });
  }
  connect();
}
function stopLive() {
  if (!live) return;
  live.closed = true;
  if (live.socket) live.socket.close();
  live = null;
}

// ---- customers ---------------------------------------------------------------------
/** @param {URLSearchParams} params */
function customersPage(params) {
  const email = /** @type {HTMLInputElement} */ (
    h("input", {
      name: "email",
      type: "email",
      placeholder: "exact email",
      value: params.get("email") || "",
      "data-testid": "filter-email",
    })
  );
  const cursor = params.get("cursor") || "";
  const form = h(
    "form.filters",
    {
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault();
        go("/customers", { email: email.value.trim() });
      },
    },
    h("label", null, "Email", email),
    h("button", { type: "submit" }, "Search"),
  );
  show(h("h1", null, "Customers"), form, h("p.empty", null, "Loading…"));
  const qs = new URLSearchParams({ limit: "20" });
  const filter = params.get("email");
  if (filter) qs.set("email", filter);
  if (cursor) qs.set("cursor", cursor);
  api("GET", `/v1/customers?${qs}`)
    .then((/** @type {Page<Customer>} */ page) => {
      const rows = page.data.map((c) =>
        h(
          "tr",
          { "data-href": c.id, "data-testid": "customer-row", onclick: () => go(`/customers/${c.id}`) },
          h("td.mono", null, c.id),
          h("td", null, c.email || "—"),
          h("td", null, c.name || "—"),
          h("td.mono", null, c.payment_method || "—"),
          h("td", null, when(c.created)),
        ),
      );
      show(
        h("h1", null, "Customers"),
        form,
        table(["Customer", "Email", "Name", "Payment method", "Created"], rows, "No customer matches."),
        h(
          "div.pager",
          null,
          h("button", { disabled: !cursor, onclick: () => history.back() }, "← Previous"),
          h(
            "button",
            {
              disabled: !page.has_more,
              onclick: () => go("/customers", { email: filter, cursor: page.next_cursor }),
            },
            "Next →",
          ),
        ),
      );
    })
    .catch(fail);
}

/** @param {string} id */
function customerPage(id) {
  const path = `/v1/customers/${encodeURIComponent(id)}`;
  Promise.all([
    /** @type {Promise<Customer>} */ (api("GET", path)),
    /** @type {Promise<Page<Subscription>>} */ (api("GET", `${path}/subscriptions?limit=100`)),
  ])
    .then(([c, subscriptions]) => {
      const rows = subscriptions.data.map((s) =>
        h(
          "tr",
          { "data-href": s.id, onclick: () => go(`/subscriptions/${s.id}`) },
          h("td.mono", null, s.id),
          h("td", null, badge(s.status)),
          h("td.mono", null, s.plan),
          h("td", null, when(s.current_period_end)),
        ),
      );
      show(
        h("p", null, h("a", { href: "#/customers" }, "← Customers")),
        h("h1", null, c.name || c.email || c.id),
        h(
          "div.card.grid",
          null,
          h("div", null, h("span", null, "Id"), h("span.mono", null, c.id)),
          h("div", null, h("span", null, "Email"), c.email || "—"),
          h("div", null, h("span", null, "Payment method"), c.payment_method || "—"),
          h("div", null, h("span", null, "Created"), when(c.created)),
        ),
        h("h2", null, "Subscriptions"),
        table(["Subscription", "Status", "Plan", "Period end"], rows, "No subscription."),
      );
    })
    .catch(fail);
}

// ---- metrics and emails ------------------------------------------------------------
/**
 * Horizontal bars, widths relative to the largest value.
 * @param {[string, number][]} entries
 * @param {(label: string, value: number) => string} format
 * @param {string} testid
 */
function bars(entries, format, testid) {
  const max = Math.max(1, ...entries.map((e) => e[1]));
  return h(
    "div.card.bars",
    { "data-testid": testid },
    entries.map(([label, value]) =>
      h(
        "div.bar",
        null,
        h("span", null, label),
        h("i", { style: `width:${Math.max(0.5, (100 * value) / max)}%` }),
        h("b", null, format(label, value)),
      ),
    ),
  );
}
function metricsPage() {
  show(h("h1", null, "Metrics"), h("p.empty", null, "Loading…"));
  api("GET", "/v1/admin/metrics")
    .then((/** @type {Metrics} */ m) => {
      const mrr = Object.entries(m.mrr);
      /** @type {[string, number][]} */
      const counts = Object.entries(m.counts).map(([s, v]) => [s, v ?? 0]);
      show(
        h("h1", null, "Metrics"),
        h("h2", null, "Monthly recurring revenue"),
        mrr.length
          ? bars(mrr, (cur, v) => money(v, cur), "mrr-chart")
          : h("p.empty", null, "No active or past-due subscription."),
        h("h2", null, `Subscriptions by status (${m.subscriptions})`),
        bars(counts, (_s, v) => String(v), "status-counts"),
        h(
          "p.live",
          null,
          "MRR: amount × quantity of active and past-due subscriptions, normalised to a month, per currency.",
        ),
      );
    })
    .catch(fail);
}
function emailsPage() {
  api("GET", "/v1/admin/emails?limit=50")
    .then((/** @type {Page<Email>} */ page) => {
      const rows = page.data.map((e) =>
        h(
          "tr",
          { "data-testid": "email-row" },
          h("td", null, when(e.created)),
          h("td", null, e.to),
          h("td", null, e.subject),
          h("td.mono", null, e.event_type || e.event || ""),
          h("td", null, e.status ? badge(e.status) : ""),
        ),
      );
      show(
        h("h1", null, "Sent emails (test mode)"),
        table(["Sent", "To", "Subject", "Event", "Status"], rows, "No email sent yet."),
      );
    })
    .catch(fail);
}

/**
 * Queue messages whose retries ran out, each with a Replay button (POST …/replay sends it again,
 * once; a second press answers the same replay and sends nothing).
 */
function deadLettersPage() {
  api("GET", "/v1/admin/dead_letters?limit=100")
    .then((/** @type {Page<DeadLetter>} */ page) => {
      const rows = page.data.map((d) => {
        const replay = h("button", { "data-testid": "replay", type: "button" }, "Replay");
        replay.addEventListener("click", () => {
          replay.setAttribute("disabled", "");
          api("POST", `/v1/admin/dead_letters/${encodeURIComponent(d.id)}/replay`).then(deadLettersPage, fail);
        });
        return h(
          "tr",
          { "data-testid": "dead-letter-row", "data-id": d.id },
          h("td", null, when(d.created)),
          h("td", null, d.kind),
          h("td.mono", null, d.event_type || ""),
          h("td.mono", null, d.endpoint || d.customer || ""),
          h("td.num", null, d.attempts),
          h(
            "td",
            { "data-testid": "replayed" },
            d.replayed ? `replayed ${when(d.replayed)}` : d.kind === "unknown" ? "" : replay,
          ),
        );
      });
      show(
        h("h1", null, "Dead letters"),
        h(
          "p.muted",
          null,
          "Deliveries whose retries ran out. Replay sends one again, once (re-enable its endpoint first).",
        ),
        table(["Dead since", "Kind", "Event", "Endpoint / customer", "#Attempts", ""], rows, "No dead letter."),
      );
    })
    .catch(fail);
}

window.addEventListener("hashchange", route);
detectEmails();
route();
