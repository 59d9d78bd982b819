import type { DiscountApply } from "../../contract/discount";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Subscription } from "../../contract/subscription";
import type { Decided } from "../../domain/decision";
import type { Discount } from "../../domain/discount";
import { startDiscount } from "../../domain/discount";
import { decideDiscount, decideTaxRates } from "../../domain/lifecycle";
import type { TaxRateTerms } from "../../domain/tax";
import type { Instant } from "../../domain/time";
import { RESERVATION_CHECK_MS } from "../coupon/coupon-actor";
import type { Env } from "../env";
import { couponStub, customerStub, promotionCodeStub, subscriptionStub, taxRateStub } from "../stubs";
import type { RequestContext } from "./context";
import { runJobsDue, timeAfterDueJobs } from "./jobs";
import { loadLedger, persist } from "./persist";

// A subscription's discount (rule 13) and tax rates (rule 16). A discount is redeemed in two
// steps across two actors: the coupon reserves one redemption under a key (counted at once, so
// its limit holds), then this subscription writes the discount and records the key as applied
// in the same transaction, then confirms it at the coupon. Whatever crashes in between, the
// coupon's alarm asks `settleRedemption`, which answers from that record, or, when the key was
// never applied, records it abandoned so that a late write can never apply it after.

/** Leaves this much of RESERVATION_CHECK_MS for the write, so it never races the coupon's check. */
const RESERVATION_WRITE_WINDOW_MS = RESERVATION_CHECK_MS / 2;

export interface DiscountRequest {
  coupon?: string | undefined;
  promotionCode?: string | undefined;
}

export interface Redeemed {
  discount: Discount;
  key: string;
  reservedMs: number;
  /** The coupon's actor, to confirm or release the reservation. */
  release(): Promise<void>;
  confirm(): Promise<void>;
}

/**
 * Reserves one redemption of the coupon (directly, or through a promotion code) for this
 * subscription under `key`; a 400 naming the reason when rule 13a refuses it.
 */
export async function reserveRedemption(
  env: Env,
  args: {
    subscription: string;
    customer: string;
    currency: string;
    key: string;
    request: DiscountRequest;
    now: Instant;
    firstInvoiceSubtotal: number | null;
  },
): Promise<Outcome<Redeemed>> {
  const { request } = args;
  const viaCode = request.promotionCode !== undefined;
  const id = (request.promotionCode ?? request.coupon)!;
  const stub = viaCode ? promotionCodeStub(env, id) : await couponStub(env, id);
  const missing = () =>
    viaCode
      ? failure<Redeemed>(400, "promotion_code_invalid", `No such promotion code: '${id}'.`, "promotion_code")
      : failure<Redeemed>(400, "coupon_invalid", `No such coupon: '${id}'.`, "coupon");
  if (!stub) return missing();
  if (viaCode) {
    const code = await promotionCodeStub(env, id)!.getPromotionCode(id);
    if (!code.ok) return missing();
  } else {
    const coupon = await stub.get(id, Date.now());
    if (!coupon.ok) return missing();
  }
  const reservedMs = Date.now();
  const reserved = await stub.reserve(
    {
      key: args.key,
      subscription: args.subscription,
      promotionCode: viaCode ? id : null,
      request: {
        now: args.now,
        customer: args.customer,
        currency: args.currency,
        customerHasPaid: viaCode ? await customerHasPaid(env, args.customer) : false,
        firstInvoiceSubtotal: args.firstInvoiceSubtotal,
      },
    },
    reservedMs,
  );
  if (!reserved.ok) return reserved;
  const { coupon, timesRedeemed } = reserved.value;
  return ok({
    discount: startDiscount(coupon, viaCode ? id : null, args.now, { key: args.key, timesRedeemed }),
    key: args.key,
    reservedMs,
    // Best effort: should either call fail, the coupon's alarm settles the reservation by asking.
    release: () => stub.release(args.key).catch(() => {}),
    confirm: () => stub.confirm(args.key).catch(() => {}),
  });
}

/** Whether any invoice of the customer was paid something (first_time_transaction). */
async function customerHasPaid(env: Env, customer: string): Promise<boolean> {
  const ids = await customerStub(env, customer)?.allSubscriptionIds(customer);
  if (!ids?.ok) return false;
  const paid = await Promise.all(ids.value.map((id) => subscriptionStub(env, id)?.hasPaidInvoice() ?? false));
  return paid.some(Boolean);
}

/**
 * Inside the commit's transaction: whether the reserved redemption may still be applied (the
 * coupon has not asked about it yet, and will not before the write is done), recording it applied.
 */
export function applyReservation(ctx: RequestContext, redeemed: Redeemed): boolean {
  if (Date.now() > redeemed.reservedMs + RESERVATION_WRITE_WINDOW_MS) return false;
  if (ctx.store.redemption(redeemed.key) === "abandoned") return false;
  ctx.store.recordRedemption(redeemed.key, "applied");
  return true;
}

/** The coupon's question about a reservation left in doubt: applied here (true), or never (false, for good). */
export function settleRedemption(ctx: RequestContext, key: string): boolean {
  if (!ctx.store.load()) return false;
  return ctx.transaction(() => {
    const outcome = ctx.store.redemption(key);
    if (outcome === "applied") return true;
    ctx.store.recordRedemption(key, "abandoned");
    return false;
  });
}

/** The redemption's key: one per request (its Idempotency-Key makes a retry reserve the same one). */
export function redemptionKey(subscription: string, idem: Idempotency | null): string {
  return `${subscription}/${idem?.key ?? crypto.randomUUID()}`;
}

/** POST /v1/subscriptions/{id}/discount: applies a coupon or promotion code, replacing any discount. */
export async function applyDiscount(
  ctx: RequestContext,
  id: string,
  body: DiscountApply,
  idem: Idempotency | null,
): Promise<Outcome<Subscription>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    const now = await timeAfterDueJobs(ctx, record.testClock);
    const redeemed = await reserveRedemption(ctx.env, {
      subscription: id,
      customer: record.customer,
      currency: record.state.plan.currency,
      key: redemptionKey(id, idem),
      request: { coupon: body.coupon, promotionCode: body.promotion_code },
      now,
      firstInvoiceSubtotal: null,
    });
    if (!redeemed.ok) return redeemed;
    const committed = ctx.commit(idem, () => {
      const decided = decideDiscount(loadLedger(ctx), redeemed.value.discount, now);
      if (!decided.ok) return failure<Subscription>(400, decided.error.code, decided.error.message);
      if (!applyReservation(ctx, redeemed.value))
        return failure<Subscription>(
          409,
          "redemption_expired",
          "The redemption took too long and was released; retry with a new Idempotency-Key.",
        );
      persist(ctx, decided.decision, now);
      return ok(ctx.view());
    });
    await (committed.ok ? redeemed.value.confirm() : redeemed.value.release());
    return committed;
  });
}

/** DELETE /v1/subscriptions/{id}/discount: ends the discount now. */
export async function removeDiscount(ctx: RequestContext, id: string): Promise<Outcome<Subscription>> {
  return writeDecision(ctx, id, null, (now) => decideDiscount(loadLedger(ctx), null, now));
}

/** POST /v1/subscriptions/{id}/tax_rates: the rates of every invoice from now on. */
export async function setTaxRates(
  ctx: RequestContext,
  id: string,
  taxRateIds: string[],
  idem: Idempotency | null,
): Promise<Outcome<Subscription>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.loadFor(id);
    if (!record) return notFound("subscription", id);
    const rates = await activeTaxRates(ctx.env, taxRateIds);
    if (!rates.ok) return rates;
    return writeDecision(ctx, id, idem, () => decideTaxRates(loadLedger(ctx), rates.value));
  });
}

async function writeDecision(
  ctx: RequestContext,
  id: string,
  idem: Idempotency | null,
  decide: (now: Instant) => Decided,
): Promise<Outcome<Subscription>> {
  const record = ctx.loadFor(id);
  if (!record) return notFound("subscription", id);
  const now = await timeAfterDueJobs(ctx, record.testClock);
  const committed = ctx.commit(idem, () => {
    const decided = decide(now);
    if (!decided.ok) return failure<Subscription>(400, decided.error.code, decided.error.message);
    persist(ctx, decided.decision, now);
    return ok(ctx.view());
  });
  if (committed.ok) await runJobsDue(ctx, now);
  return committed;
}

/**
 * Rule 16: each rate's terms, read once when the subscription is given them (they never
 * change). An unknown or inactive rate is refused, naming `default_tax_rates`.
 */
export async function activeTaxRates(env: Env, ids: readonly string[]): Promise<Outcome<TaxRateTerms[]>> {
  if (new Set(ids).size !== ids.length)
    return failure(400, "parameter_invalid", "default_tax_rates lists a rate twice", "default_tax_rates");
  const rates = await Promise.all(ids.map((id) => taxRateStub(env, id)?.get(id)));
  const terms: TaxRateTerms[] = [];
  for (const [i, rate] of rates.entries()) {
    if (!rate?.ok) return failure(400, "resource_missing", `No such tax rate: '${ids[i]}'`, "default_tax_rates");
    if (!rate.value.active)
      return failure(400, "tax_rate_inactive", `The tax rate '${ids[i]}' is inactive.`, "default_tax_rates");
    terms.push({
      id: rate.value.id,
      percentageMicros: Math.round(rate.value.percentage * 10_000),
      inclusive: rate.value.inclusive,
      displayName: rate.value.display_name,
    });
  }
  return ok(terms);
}
