import type { Subscription } from "../../contract/subscription";
import { TRIAL_WILL_END_NOTICE, cancelSubscription, resumeSubscription, startSubscription } from "../../domain/subscription";
import type { Instant } from "../../domain/time";
import type { Outcome } from "../../errors";
import { failure, notFound, ok } from "../../errors";
import type { Idempotency } from "../actor";
import { customerStub, testClockStub } from "../stubs";
import { apply } from "./billing";
import type { RequestContext } from "./context";
import { settle } from "./jobs";
import { activePlan } from "./plan-terms";

export interface CreateSubscriptionInput {
  customer: string;
  plan: string;
  quantity: number;
  trialDays: number | null;
  billingCycleAnchor: Instant | null;
  metadata: Record<string, string>;
}

/**
 * Starts subscription `id`: reads its customer and plan, registers it with both (and its test
 * clock), then writes the state, first invoice and jobs in one transaction and runs what is due.
 */
export async function createSubscription(ctx: RequestContext, id: string, input: CreateSubscriptionInput, idem: Idempotency | null): Promise<Outcome<Subscription>> {
  return ctx.once(idem, async () => {
    if (ctx.store.load()) return failure(409, "resource_already_exists", `Subscription '${id}' already exists`);
    const customer = await customerStub(ctx.env, input.customer)?.get(input.customer);
    if (!customer?.ok) return failure(400, "resource_missing", `No such customer: '${input.customer}'`, "customer");
    const plan = await activePlan(ctx.env, input.plan);
    if (!plan.ok) return plan;
    const testClock = customer.value.test_clock;
    const now = await ctx.currentTime(testClock);
    const decision = startSubscription({
      plan: plan.value,
      quantity: input.quantity,
      now,
      trialDays: input.trialDays ?? plan.value.trialDays,
      billingCycleAnchor: input.billingCycleAnchor,
    });
    if (!decision.ok) return failure(400, decision.error.code, decision.error.message, decision.error.param);
    // The customer's index first: a subscription is never invisible to its customer.
    const added = await customerStub(ctx.env, input.customer)!.addSubscription(input.customer, { id, created_ms: Date.now() });
    if (!added.ok) return failure(400, "resource_missing", `No such customer: '${input.customer}'`, "customer");
    if (testClock) await (await testClockStub(ctx.env, testClock))?.register(testClock, id);
    const committed = ctx.commit(idem, () => {
      if (ctx.store.load()) return failure<Subscription>(409, "resource_already_exists", `Subscription '${id}' already exists`);
      ctx.store.insert({ id, customer: input.customer, state: decision.state, testClock, metadata: input.metadata, created: now });
      if (decision.state.trialEnd !== null && decision.state.trialEnd - TRIAL_WILL_END_NOTICE > now) {
        ctx.store.schedule("trial_will_end", decision.state.trialEnd - TRIAL_WILL_END_NOTICE);
      }
      apply(ctx, decision, now, "subscription.created");
      return ok(ctx.view(), 201);
    });
    if (!committed.ok) return committed;
    await settle(ctx, now);
    return ok(ctx.view(), 201);
  });
}

/** Cancels now, or at the period end (`atPeriodEnd`). */
export async function cancel(ctx: RequestContext, id: string, atPeriodEnd: boolean, idem: Idempotency | null): Promise<Outcome<Subscription>> {
  return ctx.once(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    const now = await ctx.currentTime(record.testClock);
    const committed = ctx.commit(idem, () => {
      const decision = cancelSubscription(ctx.store.load()!.state, atPeriodEnd, now, ctx.store.pending());
      if (!decision.ok) return failure<Subscription>(400, decision.error.code, decision.error.message);
      apply(ctx, decision, now, decision.state.status === "canceled" ? "subscription.canceled" : "subscription.updated");
      return ok(ctx.view());
    });
    if (!committed.ok) return committed;
    // A final invoice's one attempt (rule 12) is due now.
    await settle(ctx, now);
    return ok(ctx.view());
  });
}

/** Undoes a cancellation at the period end. */
export async function resume(ctx: RequestContext, id: string, idem: Idempotency | null): Promise<Outcome<Subscription>> {
  return ctx.once(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    const now = await ctx.currentTime(record.testClock);
    return ctx.commit(idem, () => {
      const decision = resumeSubscription(ctx.store.load()!.state);
      if (!decision.ok) return failure<Subscription>(400, decision.error.code, decision.error.message);
      apply(ctx, decision, now, "subscription.updated");
      return ok(ctx.view());
    });
  });
}
