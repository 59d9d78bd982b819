import { DASHBOARD_SCRIPT } from "./script";
import { DASHBOARD_STYLE } from "./style";

/**
 * GET /admin: one small static page with plain JS, served by the Worker. It asks for the
 * admin key, keeps it in sessionStorage (this tab only) and sends it as a Bearer header to
 * the same /v1 API as any client; the live subscription page opens partyserver's WebSocket
 * with a short-lived token instead (src/api/live.ts).
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
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>`;
}
