/** The dashboard's plain JS (no build step, no framework), inlined into GET /admin. */
export const DASHBOARD_SCRIPT = String.raw`
"use strict";
(function () {
  var KEY = "billify.adminKey";
  var view = document.getElementById("view");
  var live = null; // { socket, id, closed }

  function key() { return sessionStorage.getItem(KEY); }

  function api(method, path, body) {
    var init = { method: method, headers: { Authorization: "Bearer " + key() } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (res.status === 401) { signOut(); throw new Error("Signed out: the admin key was refused."); }
        if (!res.ok) { var e = new Error((json.error && json.error.message) || ("HTTP " + res.status)); e.status = res.status; throw e; }
        return json;
      });
    });
  }

  // h("tag.class", {attr}, children...) builds DOM nodes; text is always text, never HTML.
  function h(spec, attrs) {
    var parts = spec.split("."), el = document.createElement(parts[0] || "div");
    if (parts.length > 1) el.className = parts.slice(1).join(" ");
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v); else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function show() { view.replaceChildren.apply(view, arguments); }

  var digitsCache = {};
  function money(minor, currency) {
    var code = String(currency || "").toUpperCase();
    if (!(code in digitsCache)) {
      try { digitsCache[code] = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits; }
      catch (e) { digitsCache[code] = 2; }
    }
    var digits = digitsCache[code];
    try { return new Intl.NumberFormat(undefined, { style: "currency", currency: code, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(minor / Math.pow(10, digits)); }
    catch (e) { return minor + " " + currency; }
  }
  function when(iso) { return iso ? iso.replace("T", " ").replace(":00Z", "").replace("Z", "") : "—"; }
  function badge(status) { return h("span.badge.s-" + status, { "data-status": status }, status.replace(/_/g, " ")); }
  function table(headers, rows, empty) {
    if (!rows.length) return h("div.table", null, h("p.empty", null, empty || "Nothing here yet."));
    return h("div.table", null, h("table", null,
      h("thead", null, h("tr", null, headers.map(function (x) { return h("th" + (x.charAt(0) === "#" ? ".num" : ""), null, x.replace(/^#/, "")); }))),
      h("tbody", null, rows)));
  }
  function fail(err) { show(h("p.error", { role: "alert" }, err.message)); }

  // ---- routing -----------------------------------------------------------------------
  function route() {
    stopLive();
    if (!key()) { showSignIn(); return; }
    document.getElementById("sign-in").hidden = true;
    document.getElementById("nav").hidden = false;
    var hash = location.hash.replace(/^#/, "") || "/subscriptions";
    var q = hash.indexOf("?"), path = q < 0 ? hash : hash.slice(0, q), params = new URLSearchParams(q < 0 ? "" : hash.slice(q + 1));
    document.querySelectorAll("header nav a").forEach(function (a) { a.classList.toggle("active", path.indexOf(a.getAttribute("href").slice(1)) === 0); });
    var m;
    if ((m = /^\/subscriptions\/([^/]+)$/.exec(path))) return subscriptionPage(decodeURIComponent(m[1]));
    if ((m = /^\/customers\/([^/]+)$/.exec(path))) return customerPage(decodeURIComponent(m[1]));
    if (path === "/customers") return customersPage(params);
    if (path === "/metrics") return metricsPage();
    if (path === "/emails") return emailsPage();
    return subscriptionsPage(params);
  }
  function go(path, params) {
    var qs = params ? new URLSearchParams(Object.entries(params).filter(function (e) { return e[1]; })).toString() : "";
    location.hash = path + (qs ? "?" + qs : "");
  }

  function showSignIn() {
    document.getElementById("nav").hidden = true;
    show();
    var form = document.getElementById("sign-in");
    form.hidden = false;
    document.getElementById("admin-key").focus();
  }
  document.getElementById("sign-in").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("admin-key"), error = document.getElementById("sign-in-error");
    sessionStorage.setItem(KEY, input.value.trim());
    error.textContent = "";
    api("GET", "/v1/admin/metrics").then(function () { input.value = ""; detectEmails(); route(); }).catch(function (err) {
      sessionStorage.removeItem(KEY);
      error.textContent = err.status === 403 ? "That is an API key; the dashboard needs the admin key." : err.message;
    });
  });
  function signOut() { sessionStorage.removeItem(KEY); stopLive(); showSignIn(); }
  document.getElementById("sign-out").addEventListener("click", signOut);

  // The emails tab exists only where GET /v1/admin/emails answers (test mode).
  function detectEmails() {
    if (document.body.dataset.mode !== "test" || !key()) return;
    api("GET", "/v1/admin/emails?limit=1").then(function () { document.getElementById("nav-emails").hidden = false; }).catch(function () {});
  }

  // ---- subscriptions -----------------------------------------------------------------
  var STATUSES = ["trialing", "active", "incomplete", "incomplete_expired", "past_due", "unpaid", "canceled"];
  function subscriptionsPage(params) {
    var filters = { status: params.get("status") || "", plan: params.get("plan") || "", customer: params.get("customer") || "" };
    var cursors = (params.get("trail") || "").split(",").filter(Boolean);
    var cursor = params.get("cursor") || "";
    var status = h("select", { name: "status", "data-testid": "filter-status" }, h("option", { value: "" }, "any status"),
      STATUSES.map(function (s) { return h("option", { value: s, selected: s === filters.status }, s.replace(/_/g, " ")); }));
    var plan = h("input", { name: "plan", placeholder: "plan id", value: filters.plan, "data-testid": "filter-plan" });
    var customer = h("input", { name: "customer", placeholder: "cus_…", value: filters.customer, "data-testid": "filter-customer" });
    function apply(ev) { if (ev) ev.preventDefault(); go("/subscriptions", { status: status.value, plan: plan.value.trim(), customer: customer.value.trim() }); }
    status.addEventListener("change", apply);
    var form = h("form.filters", { onsubmit: apply }, h("label", null, "Status", status), h("label", null, "Plan", plan), h("label", null, "Customer", customer), h("button", { type: "submit" }, "Filter"));
    show(h("h1", null, "Subscriptions"), form, h("p.empty", null, "Loading…"));
    var qs = new URLSearchParams({ limit: "20" });
    ["status", "plan", "customer"].forEach(function (k) { if (filters[k]) qs.set(k, filters[k]); });
    if (cursor) qs.set("cursor", cursor);
    api("GET", "/v1/admin/subscriptions?" + qs).then(function (page) {
      var rows = page.data.map(function (s) {
        return h("tr", { "data-href": s.id, "data-testid": "subscription-row", onclick: function () { go("/subscriptions/" + s.id); } },
          h("td.mono", null, h("a", { href: "#/subscriptions/" + s.id }, s.id)), h("td", null, badge(s.status)),
          h("td.mono", null, s.plan), h("td.num", null, money(s.amount * s.quantity, s.currency)),
          h("td", null, s.quantity), h("td.mono", null, s.customer), h("td", null, when(s.current_period_end)));
      });
      var pager = h("div.pager", null,
        h("button", { disabled: !cursor, onclick: function () { go("/subscriptions", Object.assign({}, filters, { cursor: cursors[cursors.length - 1] || "", trail: cursors.slice(0, -1).join(",") })); } }, "← Previous"),
        h("button", { "data-testid": "next-page", disabled: !page.has_more, onclick: function () { go("/subscriptions", Object.assign({}, filters, { cursor: page.next_cursor, trail: cursors.concat(cursor ? [cursor] : ["-"]).join(",") })); } }, "Next →"));
      show(h("h1", null, "Subscriptions"), form,
        table(["Subscription", "Status", "Plan", "#Amount", "Qty", "Customer", "Period end"], rows, "No subscription matches."), pager,
        h("p.live", null, "From the read model: changes appear within seconds."));
    }).catch(fail);
  }

  function subscriptionPage(id) {
    var liveBadge = h("span.live", { "data-testid": "live-status" }, "○ connecting…");
    show(h("p.empty", null, "Loading…"));
    function load() {
      return Promise.all([
        api("GET", "/v1/subscriptions/" + encodeURIComponent(id)),
        api("GET", "/v1/subscriptions/" + encodeURIComponent(id) + "/invoices?limit=100"),
        api("GET", "/v1/subscriptions/" + encodeURIComponent(id) + "/events?limit=100"),
        api("GET", "/v1/subscriptions/" + encodeURIComponent(id) + "/usage"),
      ]).then(function (r) {
        var sub = r[0], invoices = r[1].data;
        return Promise.all(invoices.map(function (inv) { return api("GET", "/v1/invoices/" + inv.id + "/payments"); })).then(function (payments) {
          renderSubscription(sub, invoices, payments.map(function (p) { return p.data; }), r[2].data, liveBadge, r[3]);
        });
      });
    }
    load().then(function () { startLive(id, load, liveBadge); }).catch(fail);
  }

  function renderSubscription(sub, invoices, payments, events, liveBadge, usage) {
    function field(label, value) { return h("div", null, h("span", null, label), value); }
    var details = h("div.card.grid", { "data-testid": "subscription-details" },
      field("Status", badge(sub.status)), field("Plan", h("span.mono", null, sub.plan)), field("Quantity", sub.quantity),
      field("Customer", h("a.mono", { href: "#/customers/" + sub.customer }, sub.customer)),
      field("Current period", when(sub.current_period_start) + " → " + when(sub.current_period_end)),
      field("Cancel at period end", sub.cancel_at_period_end ? "yes" : "no"), field("Credit balance", money(sub.credit_balance, sub.currency)),
      field("Test clock", sub.test_clock ? h("span.mono", null, sub.test_clock) : "—"), field("Created", when(sub.created)),
      sub.ended_at ? field("Ended", when(sub.ended_at)) : null);
    var invoiceRows = [];
    invoices.forEach(function (inv, i) {
      invoiceRows.push(h("tr", { "data-testid": "invoice-row" }, h("td.mono", null, inv.number), h("td", null, badge(inv.status)), h("td", null, inv.billing_reason.replace(/_/g, " ")),
        h("td", null, when(inv.period_start) + " → " + when(inv.period_end)), h("td.num", null, money(inv.total, inv.currency)),
        h("td.num", null, money(inv.amount_paid, inv.currency)), h("td.num", null, money(inv.amount_remaining, inv.currency))));
      inv.lines.forEach(function (line) {
        invoiceRows.push(h("tr.lines", null, h("td", { colspan: 4 }, line.description), h("td.num", null, money(line.amount, inv.currency)), h("td", { colspan: 2 }, line.type)));
      });
      (payments[i] || []).forEach(function (p) {
        invoiceRows.push(h("tr.lines", { "data-testid": "payment-row" }, h("td", { colspan: 4 }, "Payment #" + p.attempt + " · " + p.method + (p.failure_code ? " · " + p.failure_code : "") + " · " + when(p.created)),
          h("td.num", null, money(p.amount, p.currency)), h("td", { colspan: 2 }, badge(p.status))));
      });
    });
    var eventRows = events.slice().reverse().map(function (e) {
      return h("tr", { "data-testid": "event-row" }, h("td", null, when(e.created)), h("td.mono", null, e.type), h("td.mono", null, e.id));
    });
    // Usage so far in the current period, priced per charge (GET /v1/subscriptions/{id}/usage).
    var usageRows = usage.data.map(function (u) {
      return h("tr", { "data-testid": "usage-row" }, h("td", null, "#" + u.charge), h("td.mono", null, u.meter),
        h("td", null, when(u.period_start) + " → " + when(u.period_end)), h("td.num", null, u.usage_quantity), h("td.num", null, money(u.amount, usage.currency)));
    });
    var usageSection = h("div", { "data-testid": "usage" }, usageRows.length === 0 ? [] : [h("h2", null, "Current usage (" + money(usage.total, usage.currency) + ")"),
      table(["Charge", "Meter", "Period", "#Quantity", "#Amount"], usageRows, "")]);
    show(h("p", null, h("a", { href: "#/subscriptions" }, "← Subscriptions")),
      h("h1", null, h("span.mono", null, sub.id), " ", liveBadge), details, usageSection,
      h("h2", null, "Invoices (" + invoices.length + ")"),
      table(["Number", "Status", "Reason", "Period", "#Total", "#Paid", "#Remaining"], invoiceRows, "No invoice yet."),
      h("h2", null, "Events (" + events.length + ", newest first)"),
      table(["Time", "Type", "Id"], eventRows, "No event yet."));
  }

  // Live: a token from the admin API opens partyserver's WebSocket to this subscription's
  // actor; every change it commits arrives as a message and the page reloads its data.
  function startLive(id, reload, liveBadge) {
    var state = { closed: false, socket: null, id: id };
    live = state;
    function connect() {
      api("POST", "/v1/admin/live_tokens", { subscription: id }).then(function (t) {
        if (state.closed) return;
        var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + t.url);
        state.socket = socket;
        socket.onopen = function () { liveBadge.textContent = "● live"; liveBadge.classList.add("on"); };
        socket.onmessage = function (msg) {
          var data = JSON.parse(msg.data);
          if (data.type === "subscription.changed") reload().catch(fail);
        };
        socket.onclose = function () {
          liveBadge.textContent = "○ reconnecting…"; liveBadge.classList.remove("on");
          if (!state.closed) setTimeout(connect, 2000);
        };
      }).catch(function () { if (!state.closed) setTimeout(connect, 5000); });
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
  function customersPage(params) {
    var email = h("input", { name: "email", type: "email", placeholder: "exact email", value: params.get("email") || "", "data-testid": "filter-email" });
    var cursor = params.get("cursor") || "";
    var form = h("form.filters", { onsubmit: function (ev) { ev.preventDefault(); go("/customers", { email: email.value.trim() }); } },
      h("label", null, "Email", email), h("button", { type: "submit" }, "Search"));
    show(h("h1", null, "Customers"), form, h("p.empty", null, "Loading…"));
    var qs = new URLSearchParams({ limit: "20" });
    if (params.get("email")) qs.set("email", params.get("email"));
    if (cursor) qs.set("cursor", cursor);
    api("GET", "/v1/customers?" + qs).then(function (page) {
      var rows = page.data.map(function (c) {
        return h("tr", { "data-href": c.id, "data-testid": "customer-row", onclick: function () { go("/customers/" + c.id); } },
          h("td.mono", null, c.id), h("td", null, c.email || "—"), h("td", null, c.name || "—"), h("td.mono", null, c.payment_method || "—"), h("td", null, when(c.created)));
      });
      show(h("h1", null, "Customers"), form, table(["Customer", "Email", "Name", "Payment method", "Created"], rows, "No customer matches."),
        h("div.pager", null, h("button", { disabled: !cursor, onclick: function () { history.back(); } }, "← Previous"),
          h("button", { disabled: !page.has_more, onclick: function () { go("/customers", { email: params.get("email"), cursor: page.next_cursor }); } }, "Next →")));
    }).catch(fail);
  }

  function customerPage(id) {
    Promise.all([api("GET", "/v1/customers/" + encodeURIComponent(id)), api("GET", "/v1/customers/" + encodeURIComponent(id) + "/subscriptions?limit=100")]).then(function (r) {
      var c = r[0];
      var rows = r[1].data.map(function (s) {
        return h("tr", { "data-href": s.id, onclick: function () { go("/subscriptions/" + s.id); } }, h("td.mono", null, s.id), h("td", null, badge(s.status)), h("td.mono", null, s.plan), h("td", null, when(s.current_period_end)));
      });
      show(h("p", null, h("a", { href: "#/customers" }, "← Customers")), h("h1", null, c.name || c.email || c.id),
        h("div.card.grid", null, h("div", null, h("span", null, "Id"), h("span.mono", null, c.id)), h("div", null, h("span", null, "Email"), c.email || "—"),
          h("div", null, h("span", null, "Payment method"), c.payment_method || "—"), h("div", null, h("span", null, "Created"), when(c.created))),
        h("h2", null, "Subscriptions"), table(["Subscription", "Status", "Plan", "Period end"], rows, "No subscription."));
    }).catch(fail);
  }

  // ---- metrics and emails ------------------------------------------------------------
  function bars(entries, format, testid) {
    var max = Math.max.apply(null, entries.map(function (e) { return e[1]; }).concat([1]));
    return h("div.card.bars", { "data-testid": testid }, entries.map(function (e) {
      return h("div.bar", null, h("span", null, e[0]), h("i", { style: "width:" + Math.max(0.5, (100 * e[1]) / max) + "%" }), h("b", null, format(e[0], e[1])));
    }));
  }
  function metricsPage() {
    show(h("h1", null, "Metrics"), h("p.empty", null, "Loading…"));
    api("GET", "/v1/admin/metrics").then(function (m) {
      var mrr = Object.entries(m.mrr);
      show(h("h1", null, "Metrics"),
        h("h2", null, "Monthly recurring revenue"),
        mrr.length ? bars(mrr, function (cur, v) { return money(v, cur); }, "mrr-chart") : h("p.empty", null, "No active or past-due subscription."),
        h("h2", null, "Subscriptions by status (" + m.subscriptions + ")"),
        bars(Object.entries(m.counts), function (_s, v) { return String(v); }, "status-counts"),
        h("p.live", null, "MRR: amount × quantity of active and past-due subscriptions, normalised to a month, per currency."));
    }).catch(fail);
  }
  function emailsPage() {
    api("GET", "/v1/admin/emails?limit=50").then(function (page) {
      var rows = page.data.map(function (e) {
        return h("tr", { "data-testid": "email-row" }, h("td", null, when(e.created)), h("td", null, e.to), h("td", null, e.subject),
          h("td.mono", null, e.event_type || e.event || ""), h("td", null, e.status ? badge(e.status) : ""));
      });
      show(h("h1", null, "Sent emails (test mode)"), table(["Sent", "To", "Subject", "Event", "Status"], rows, "No email sent yet."));
    }).catch(fail);
  }

  window.addEventListener("hashchange", route);
  detectEmails();
  route();
})();
`;
