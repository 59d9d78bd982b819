/**
 * The plan catalog's listing index in KV: one key per plan, ordered newest first by an
 * inverted creation time in milliseconds, then by id. The value is the plan. KV is a read model
 * (eventually consistent); each plan's actor stays the truth.
 */
export const PLAN_LIST_PREFIX = "plans/";

export function planListKey(planId: string, createdMs: number): string {
  const inverted = String(99_999_999_999_999 - createdMs).padStart(14, "0");
  return `${PLAN_LIST_PREFIX}${inverted}/${planId}`;
}
