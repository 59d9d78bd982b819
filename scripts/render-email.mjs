// Renders one real email (a failed renewal after a prorated upgrade) from a fresh local service and
// writes its HTML and text, for checking in a browser:
//   node scripts/render-email.mjs /tmp/email && chromium --headless --screenshot=/tmp/email.png file:///tmp/email.html

import { writeFileSync } from "node:fs";
import { startService } from "./service.mjs";

const svc = await startService();
const h = (key = "sk_test_local") => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
const post = async (p, b) =>
  (await fetch(svc.url + p, { method: "POST", headers: h(), body: JSON.stringify(b) })).json();
try {
  const clock = await post("/v1/test_clocks", { frozen_time: "2026-02-10T09:00:00Z" });
  const cus = await post("/v1/customers", {
    email: "ada@example.com",
    name: "Ada Lovelace",
    payment_method: "pm_card_visa",
    test_clock: clock.id,
  });
  const basic = await post("/v1/plans", { name: "Basic", currency: "usd", amount: 1500, interval: "month" });
  const team = await post("/v1/plans", { name: "Team", currency: "usd", amount: 4900, interval: "month" });
  const sub = await post("/v1/subscriptions", { customer: cus.id, plan: basic.id, quantity: 3 });
  await post(`/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-02-24T09:00:00Z" });
  await post(`/v1/subscriptions/${sub.id}/change`, { plan: team.id });
  await fetch(`${svc.url}/v1/customers/${cus.id}`, {
    method: "PATCH",
    headers: h(),
    body: JSON.stringify({ payment_method: "pm_card_chargeDeclined" }),
  });
  await post(`/v1/test_clocks/${clock.id}/advance`, { frozen_time: "2026-03-10T09:00:01Z" });
  let mail;
  for (let i = 0; i < 60 && !mail; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const list = await (await fetch(`${svc.url}/v1/admin/emails?limit=100`, { headers: h("sk_admin_local") })).json();
    mail = list.data.find((m) => m.event_type === "invoice.payment_failed");
  }
  const out = process.argv[2] ?? "email";
  writeFileSync(`${out}.html`, mail.html);
  writeFileSync(`${out}.txt`, `Subject: ${mail.subject}\n\n${mail.text}`);
  console.log(mail.subject);
} finally {
  await svc.stop();
}
