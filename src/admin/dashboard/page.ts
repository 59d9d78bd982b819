import { CURRENCY_EXPONENTS } from "../../contract/currencies";
import { DASHBOARD_STYLE } from "./style";

/** The currency table's exponents for the page's money formatting, as inert JSON (no `<` in it). */
const EXPONENTS_JSON = JSON.stringify(CURRENCY_EXPONENTS).replaceAll("<", "\\u003c");

/**
 * GET /admin: one small page served by the Worker, whose script is the static asset
 * public/admin/dashboard.js (checked `// @ts-check` JavaScript, no build step). It asks for the
 * admin key, keeps it in sessionStorage (this tab only) and sends it as a Bearer header to
 * the same /v1 API as any client; the live subscription page opens partyserver's WebSocket
 * with a short-lived token instead (src/api/live.ts). The page embeds the minor-unit
 * exponents of src/contract/currencies.ts, so amounts are formatted from the one table.
 */
export function renderDashboard(options: { mode: "test" | "live" }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Billify admin</title>
<style>${DASHBOARD_STYLE}</style>
</head>
<body data-mode="${options.mode}">
<header>
  <strong class="brand">Billify</strong>
  <nav id="nav" hidden>
    <a href="#/subscriptions" data-testid="nav-subscriptions">Subscriptions</a>
    <a href="#/customers" data-testid="nav-customers">Customers</a>
    <a href="#/metrics" data-testid="nav-metrics">Metrics</a>
    <a href="#/emails" id="nav-emails" data-testid="nav-emails" hidden>Emails</a>
    <a href="#/dead-letters" data-testid="nav-dead-letters">Dead letters</a>
    <button id="sign-out" class="link">Sign out</button>
  </nav>
  <span class="mode">${options.mode} mode</span>
</header>
<main id="main">
  <form id="sign-in" class="card narrow" hidden>
    <h1>Sign in</h1>
    <label>Admin key <input id="admin-key" name="key" type="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
    <p id="sign-in-error" class="error" role="alert"></p>
  </form>
  <section id="view"></section>
</main>
<script type="application/json" id="currency-exponents">${EXPONENTS_JSON}</script>
<script type="module" src="/admin/dashboard.js"></script>
</body>
</html>`;
}
