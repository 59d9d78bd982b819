import type { SubscriptionState } from "./subscription";
import type { Instant } from "./time";

/** A subscription as its actor stores it: the state the rules see, and its bookkeeping. */
export interface SubscriptionRecord {
  id: string;
  customer: string;
  state: SubscriptionState;
  latestInvoice: string | null;
  testClock: string | null;
  metadata: Record<string, string>;
  created: Instant;
  version: number;
  /** On a test clock: the time it last passed the subscription (its creation before that). */
  clockTime: Instant | null;
}
