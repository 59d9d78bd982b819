import { routeLiveRequest } from "./admin/live";
import { createApp } from "./api/app";
import { loadConfig } from "./config";
import type { Env } from "./env";

export { MetricsShard } from "./admin/metrics/metrics-shard";
export { CustomerActor } from "./actors/customer/customer-actor";
export { PlanActor } from "./actors/plan/plan-actor";
export { SubscriptionActor } from "./actors/subscription/subscription-actor";
export { TestClockActor } from "./actors/test-clock/test-clock-actor";

const app = createApp();
/** Environments already validated (one per isolate in production). */
const checked = new WeakSet<Env>();

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (!checked.has(env)) {
      // Invalid configuration fails at once with a message naming the variable.
      try {
        loadConfig(env);
        checked.add(env);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.error(`Billify configuration error: ${message}`);
        return Response.json({ error: { type: "api_error", code: "configuration_error", message } }, { status: 500 });
      }
    }
    // Live dashboard pages: partyserver WebSockets to a subscription's actor.
    const live = await routeLiveRequest(request, env);
    if (live) return live;
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
