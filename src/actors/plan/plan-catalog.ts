import type { Plan } from "../../api/schemas/plan";
import { parseIso } from "../../domain/time";

/**
 * The plan catalog's listing index in KV: one key per plan, ordered newest first by an
 * inverted creation time, then by id. The value is the plan. KV is a read model
 * (eventually consistent); each plan's actor stays the truth.
 */
export const PLAN_LIST_PREFIX = "plans/";

export function planListKey(plan: Plan): string {
  const created = parseIso(plan.created) ?? 0;
  const inverted = String(99_999_999_999 - created).padStart(11, "0");
  return `${PLAN_LIST_PREFIX}${inverted}/${plan.id}`;
}
