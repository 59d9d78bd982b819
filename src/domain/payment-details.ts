import type { Decision, Ledger } from "./decision";
import { DecisionBuilder } from "./decision";

/** The customer's payment method and gateway id as a subscription keeps its copy, with the customer's version. */
export interface PaymentDetailsCopy {
  paymentMethod: string | null;
  /** The customer's id at the gateway (its `stripe_customer` metadata), if any. */
  gatewayCustomer: string | null;
  version: number;
}

/**
 * docs/billing-rules.md, Endpoints: the customer pushes its payment details at least once and
 * possibly out of order, so the subscription keeps a copy only when it is newer than the one
 * it holds. Returns the decision that keeps it, or null (the copy held is as new or newer).
 */
export function decidePaymentDetailsCopy(
  ledger: Ledger,
  held: PaymentDetailsCopy | null,
  incoming: PaymentDetailsCopy,
): Decision | null {
  if (held !== null && held.version >= incoming.version) return null;
  const b = new DecisionBuilder(ledger);
  b.decision.paymentDetails = incoming;
  return b.decision;
}
