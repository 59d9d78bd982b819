import { createApp } from "./api/app";
import { loadConfig } from "./config";
import type { Env } from "./env";

export { ChargePacerActor } from "./actors/charge-pacer/charge-pacer-actor";
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
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
