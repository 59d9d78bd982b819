import type { Instant } from "./time";
import { SECONDS_PER_DAY } from "./time";

type FinalAction = "cancel" | "unpaid" | "past_due";

export interface DunningPolicy {
  /** Days after each failed attempt before the next one: [1, 3, 5, 7] by default. */
  retryDays: readonly number[];
  finalAction: FinalAction;
}

export const DEFAULT_DUNNING: DunningPolicy = { retryDays: [1, 3, 5, 7], finalAction: "cancel" };

/** The first invoice of a subscription without a trial may be paid for 23 hours (rule 9). */
export const INCOMPLETE_EXPIRY_SECONDS = 23 * 3_600;

/**
 * Parses BILLIFY_RETRY_DAYS and BILLIFY_FINAL_ACTION when the Worker starts, so a bad
 * value fails loudly at once and not at the fifth retry. Empty retry days are allowed
 * ("" = a single attempt).
 */
export function parseDunningPolicy(retryDays: string | undefined, finalAction: string | undefined): DunningPolicy {
  let days: number[] = [...DEFAULT_DUNNING.retryDays];
  if (retryDays !== undefined) {
    const trimmed = retryDays.trim();
    // Plain digits only: Number() alone would read "0x10" as 16 days and "1e1" as 10.
    days =
      trimmed === "" ? [] : trimmed.split(",").map((part) => (/^\d+$/.test(part.trim()) ? Number(part) : Number.NaN));
    if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 365) || days.length > 20) {
      throw new Error(
        `BILLIFY_RETRY_DAYS must be a comma-separated list of whole days between 1 and 365 (at most 20), e.g. "1,3,5,7"; got "${retryDays}"`,
      );
    }
  }
  const action = finalAction?.trim() || DEFAULT_DUNNING.finalAction;
  if (action !== "cancel" && action !== "unpaid" && action !== "past_due") {
    throw new Error(`BILLIFY_FINAL_ACTION must be one of cancel, unpaid, past_due; got "${finalAction}"`);
  }
  return { retryDays: days, finalAction: action };
}

/**
 * After failed attempt number `attempt` (1-based) at `failedAt`, when is the next one?
 * null when the ladder is exhausted. Default: +0, +1 d, +4 d, +9 d, +16 d.
 */
export function nextAttemptAt(policy: DunningPolicy, attempt: number, failedAt: Instant): Instant | null {
  const days = policy.retryDays[attempt - 1];
  return days === undefined ? null : failedAt + days * SECONDS_PER_DAY;
}
