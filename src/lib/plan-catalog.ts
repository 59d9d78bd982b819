import { invertedMs } from "./kv-keys";

/**
 * The plan catalog's listing index in KV: one key per plan, ordered newest first by an
 * inverted creation time in milliseconds, then by id. The value is the plan. KV is a read model
 * (eventually consistent); each plan's actor stays the truth.
 */
export const PLAN_LIST_PREFIX = "plans/";

export function planListKey(planId: string, createdMs: number): string {
  const inverted = invertedMs(createdMs);
  return `${PLAN_LIST_PREFIX}${inverted}/${planId}`;
}
