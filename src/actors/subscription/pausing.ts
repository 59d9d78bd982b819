import type { Outcome } from "../../contract/errors";
import { notFound, ok, refused } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { Invoice } from "../../contract/invoice";
import type { Subscription } from "../../contract/subscription";
import { decideFinalizeDraft, decidePause, decideResumeCollection } from "../../domain/pause";
import type { PauseCollection } from "../../domain/subscription";
import type { RequestContext } from "./context";
import { runJobsDue, timeAfterDueJobs } from "./jobs";
import { decisionRequest } from "./lifecycle";
import { loadLedger, persist } from "./persist";

// Rule 15 as the subscription actor runs it: pause, resume, and finalizing a draft the pause
// left. Each is one decision (src/domain/pause.ts) persisted in one transaction.

/** POST /v1/subscriptions/{id}/pause_collection */
export function pause(
  ctx: RequestContext,
  id: string,
  terms: PauseCollection,
  idem: Idempotency | null,
): Promise<Outcome<Subscription>> {
  return decisionRequest(ctx, id, idem, (ledger, now) => decidePause(ledger, terms, now), false);
}

/** DELETE /v1/subscriptions/{id}/pause_collection */
export function resumeCollection(
  ctx: RequestContext,
  id: string,
  idem: Idempotency | null,
): Promise<Outcome<Subscription>> {
  return decisionRequest(ctx, id, idem, (ledger) => ({ ok: true, decision: decideResumeCollection(ledger) }), false);
}

/** POST /v1/invoices/{id}/finalize: the draft gets its number, and its first attempt runs now. */
export async function finalize(
  ctx: RequestContext,
  invoiceId: string,
  idem: Idempotency | null,
): Promise<Outcome<Invoice>> {
  return ctx.idempotent(idem, async () => {
    const record = ctx.store.load();
    if (!record || !ctx.store.invoice(invoiceId)) return notFound("invoice", invoiceId);
    const now = await timeAfterDueJobs(ctx, record.testClock);
    const committed = ctx.commit(idem, () => {
      const row = ctx.store.invoice(invoiceId)!;
      const decided = decideFinalizeDraft(
        loadLedger(ctx),
        { id: row.id, status: row.status, billingReason: row.billing_reason, total: row.total },
        now,
      );
      if (!decided.ok) return refused<Invoice>(decided.error);
      persist(ctx, decided.decision, now);
      return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!));
    });
    if (!committed.ok) return committed;
    await runJobsDue(ctx, now);
    return ok(ctx.invoiceOf(invoiceId, ctx.store.load()!));
  });
}
