import type { Customer } from "../../contract/customer";
import type { Outcome } from "../../contract/errors";
import { failure, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { BillingPortalSession } from "../../contract/portal";
import type { Instant } from "../../domain/time";
import { toIso } from "../../domain/time";
import { sha256Hex } from "../../lib/bytes";
import type { CustomerContext } from "./context";
import * as sessions from "./portal-sessions";
import { newSecret } from "./portal-sessions";

// The customer portal as the customer actor runs it (API §11): links made, exchanged once for
// a session, sessions read and ended. The rows and their rules: portal-sessions.ts.

/**
 * A single-use portal link for this customer (POST /v1/billing_portal/sessions). A replay with
 * the same Idempotency-Key returns the same session, as Stripe does.
 */
export async function createPortalSession(
  ctx: CustomerContext,
  customerId: string,
  input: { id: string; returnUrl: string; now: Instant; ttlSeconds: number; publicUrl: string },
  idem: Idempotency | null,
): Promise<Outcome<BillingPortalSession>> {
  return ctx.requests.run(idem, async () => {
    const customer = ctx.load();
    if (!customer || customer.id !== customerId)
      return failure<BillingPortalSession>(400, "resource_missing", `No such customer: '${customerId}'`, "customer");
    const secret = newSecret();
    const hash = await sha256Hex(secret);
    return ctx.requests.commit(idem, () => {
      sessions.createLink(ctx.portalSessions, { ...input, hash });
      return ok<BillingPortalSession>(
        {
          id: input.id,
          object: "billing_portal.session",
          customer: customerId,
          url: `${input.publicUrl}/portal/s/${input.id}/${secret}`,
          return_url: input.returnUrl,
          expires_at: toIso(input.now + input.ttlSeconds),
          created: toIso(input.now),
        },
        201,
      );
    });
  });
}

/** Exchanges a link for a session cookie, once, before it expires. */
export async function redeemPortalLink(
  ctx: CustomerContext,
  sessionId: string,
  secret: string,
  now: Instant,
): Promise<(sessions.Redeemed & { ok: true; customer: string }) | Extract<sessions.Redeemed, { ok: false }>> {
  const customer = ctx.load();
  if (!customer) return { ok: false, reason: "unknown" };
  const hash = await sha256Hex(secret);
  const cookieSecret = newSecret();
  const cookieHash = await sha256Hex(cookieSecret);
  // Check and use in one synchronous transaction: two opens at once cannot both succeed.
  const redeemed = ctx.transaction(() =>
    sessions.redeemLink(ctx.portalSessions, sessionId, hash, cookieSecret, cookieHash, now),
  );
  return redeemed.ok ? { ...redeemed, customer: customer.id } : redeemed;
}

/** The customer a portal session cookie opens, and where its link said to return; null when it does not. */
export async function portalSession(
  ctx: CustomerContext,
  cookieSecret: string,
  now: Instant,
): Promise<{ customer: Customer; returnUrl: string | null } | null> {
  const customer = ctx.load();
  if (!customer) return null;
  const session = sessions.sessionOf(ctx.portalSessions, await sha256Hex(cookieSecret), now);
  return session && { customer, returnUrl: session.returnUrl };
}

/** Signs out: the session's row goes. */
export async function endPortalSession(ctx: CustomerContext, cookieSecret: string): Promise<void> {
  if (!ctx.load()) return;
  const hash = await sha256Hex(cookieSecret);
  ctx.transaction(() => sessions.endSession(ctx.portalSessions, hash));
}
