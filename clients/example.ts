/**
 * A small program using the generated client (openapi-fetch over clients/billify.d.ts): a plan,
 * a customer, a subscription. Every request and response is typed from the OpenAPI document, so
 * `npm run typecheck` fails if the API changes under it. Run it against `npm start`:
 *
 *   node clients/example.ts            (BILLIFY_URL=http://127.0.0.1:8799 node clients/example.ts)
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./billify";

type Subscription = components["schemas"]["Subscription"];

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const client = createClient<paths>({
  baseUrl: env.BILLIFY_URL ?? "http://localhost:8787",
  headers: { Authorization: `Bearer ${env.BILLIFY_API_KEY ?? "sk_test_local"}` },
});

export async function subscribe(email: string): Promise<Subscription> {
  const plan = await client.POST("/v1/plans", {
    body: { name: "Starter", currency: "usd", amount: 900, interval: "month" },
  });
  if (plan.error) throw new Error(`plan: ${plan.error.error.code} ${plan.error.error.message}`);

  const customer = await client.POST("/v1/customers", {
    body: { email, payment_method: "pm_card_visa" },
    params: { header: { "Idempotency-Key": `example-${email}` } },
  });
  if (customer.error) throw new Error(`customer: ${customer.error.error.code}`);

  const subscription = await client.POST("/v1/subscriptions", {
    body: { customer: customer.data.id, plan: plan.data.id, quantity: 2 },
  });
  if (subscription.error)
    throw new Error(`subscription: ${subscription.error.error.code} (${subscription.error.error.param ?? "-"})`);
  return subscription.data;
}

const subscription = await subscribe(`ada+${Date.now()}@example.com`);
console.log(
  JSON.stringify({
    status: subscription.status,
    quantity: subscription.quantity,
    latest_invoice: subscription.latest_invoice !== null,
  }),
);
