import { decideReconcile } from "../../domain/payment-attempt";
import type { Instant } from "../../domain/time";
import { chargeOrPending } from "./attempt";
import type { SubscriptionContext } from "./context";
import { applyChargeResult } from "./gateway-results";
import { loadLedger, paymentRecords, persist } from "./persist";

/**
 * The `reconcile_payment` job: sends again the charges `decideReconcile` names (the first
 * request, same key) and writes each answer; with none left, the job goes.
 */
export async function reconcile(ctx: SubscriptionContext, invoiceId: string, at: Instant): Promise<void> {
  const { decision, charges } = decideReconcile(loadLedger(ctx), invoiceId, paymentRecords(ctx, invoiceId), at);
  if (charges.length === 0) {
    ctx.transaction(() => persist(ctx, decision, at));
    return;
  }
  const customer = ctx.store.load()!.customer;
  for (const charge of charges) {
    const result = await chargeOrPending(ctx, customer, charge);
    applyChargeResult(ctx, charge, result, at);
  }
}
