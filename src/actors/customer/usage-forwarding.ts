import type { Customer } from "../../contract/customer";
import { ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Instant } from "../../domain/time";
import { parseIso } from "../../domain/time";
import { subscriptionStub, testClockStub } from "../stubs";
import type { CustomerContext } from "./context";
import { customerNamed } from "./context";
import type { IngestAnswer, IngestEvent } from "./meter-events";
import { eventsAfter, lastEventSeq, recordEvents, timestampRefusal } from "./meter-events";

// Meter events on the customer (docs/billing-rules.md rule 14a, h): validated against the
// customer's clock, recorded with their identifiers in one transaction, then handed to each of
// its subscriptions from the position that one has counted (meter-events.ts is the table).

/** Events handed to a subscription per call. */
const USAGE_FORWARD_BATCH = 1000;

/** While a subscription has not counted every event, the alarm tries again this soon. */
export const USAGE_RETRY_MS = 10_000;

/**
 * Validates the events' timestamps against the customer's clock, then records them and hands
 * them to every subscription before answering. `checkOnly`: validate, record nothing (the first
 * phase of a batch that spans customers). With an Idempotency-Key the answer is kept with the
 * events, so a replay answers it again and records nothing.
 */
export async function recordMeterEvents(
  ctx: CustomerContext,
  forwarder: UsageForwarder,
  customerId: string,
  events: IngestEvent[],
  nowMs: number,
  checkOnly: boolean,
  idem: Idempotency | null,
): Promise<IngestAnswer> {
  const customer = customerNamed(ctx, customerId);
  if (!customer)
    return {
      ok: false,
      status: 400,
      refusal: {
        index: 0,
        code: "resource_missing",
        message: `No such customer: '${customerId}'`,
        param: "payload.customer",
      },
    };
  const now = await clockNow(ctx, customer, nowMs);
  const refused = timestampRefusal(events, now);
  if (refused) return { ok: false, status: 400, refusal: refused };
  if (checkOnly) return { ok: true, events: [] };
  const outcome = await ctx.requests.run(idem, () =>
    ctx.requests.commit(idem, () => ok({ events: recordEvents(ctx.meterEvents, events, now) })),
  );
  await forwarder.forward(now);
  if (!outcome.ok)
    return {
      ok: false,
      status: outcome.status,
      refusal: { index: 0, code: outcome.error.code, message: outcome.error.message, param: outcome.error.param ?? "" },
      error: outcome.error,
    };
  return { ok: true, events: outcome.value.events, ...(outcome.replayed ? { replayed: true } : {}) };
}

/** Now on the customer's clock: its test clock's frozen_time, or the platform's. */
export async function clockNow(ctx: CustomerContext, customer: Customer, nowMs: number): Promise<Instant> {
  if (!customer.test_clock) return Math.floor(nowMs / 1000);
  const clock = await (await testClockStub(ctx.env, customer.test_clock))?.get(customer.test_clock);
  const frozen = clock?.ok ? parseIso(clock.value.frozen_time) : null;
  if (frozen === null) throw new Error(`test clock ${customer.test_clock} of ${customer.id} cannot be read`);
  return frozen;
}

/**
 * Hands every subscription the events after its position (`subscription_ref.usage_acked`), one
 * call per subscription per batch of up to 1,000: it counts them with its own cursor in one
 * transaction and answers how far it got. What fails is retried by the alarm.
 */
export class UsageForwarder {
  private forwarding: Promise<void> | null = null;

  constructor(private readonly ctx: CustomerContext) {}

  /** Whether some subscription has not counted every event yet (the alarm's job). */
  owed(): boolean {
    if (!this.ctx.load()) return false;
    const last = lastEventSeq(this.ctx.meterEvents);
    return this.ctx.query("SELECT 1 FROM subscription_ref WHERE usage_acked < ? LIMIT 1", last).length > 0;
  }

  /** The alarm's retry, at the customer's time. */
  async retry(): Promise<void> {
    const customer = this.ctx.load();
    if (customer && this.owed()) await this.forward(await clockNow(this.ctx, customer, Date.now()));
  }

  async forward(now: Instant): Promise<void> {
    if (this.forwarding) await this.forwarding.catch(() => undefined);
    const { query } = this.ctx;
    const last = lastEventSeq(this.ctx.meterEvents);
    const refs = query<{ id: string; created_ms: number; usage_acked: number }>(
      "SELECT id, created_ms, usage_acked FROM subscription_ref WHERE usage_acked < ?",
      last,
    );
    this.forwarding = (async () => {
      await Promise.all(refs.map((ref) => this.forwardTo(ref, last, now)));
    })();
    try {
      await this.forwarding;
    } finally {
      this.forwarding = null;
    }
  }

  private async forwardTo(ref: { id: string; created_ms: number; usage_acked: number }, last: number, now: Instant) {
    let after = ref.usage_acked;
    try {
      while (after < last) {
        const batch = eventsAfter(this.ctx.meterEvents, after, USAGE_FORWARD_BATCH);
        if (batch.length === 0) break;
        const answer = await subscriptionStub(this.ctx.env, ref.id)?.recordUsage(ref.id, batch, now);
        if (!answer?.ok) {
          // A subscription that never came to exist (its create failed) counts nothing.
          if (answer?.status === 404 && ref.created_ms < Date.now() - 60_000) after = last;
          else break;
        } else after = answer.value.through;
        this.ctx.transaction(() =>
          this.ctx.query("UPDATE subscription_ref SET usage_acked = MAX(usage_acked, ?) WHERE id = ?", after, ref.id),
        );
      }
    } catch (error) {
      console.warn(`usage not yet counted by ${ref.id}; the alarm will retry`, error);
    }
  }
}
