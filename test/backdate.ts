import { runInDurableObject } from "cloudflare:test";

/** A day and a minute, in seconds. */
const SHIFT = 86_400 + 60;

/**
 * Moves a daily subscription a day and a minute into the past, keeping its anchor grid, so its
 * renewal is due now (the test stands in for the passing of a day).
 */
export async function backdateOneDay(stub: DurableObjectStub): Promise<void> {
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec(
      "UPDATE subscription SET anchor = anchor - ?, current_period_start = current_period_start - ?, current_period_end = current_period_end - ?",
      SHIFT,
      SHIFT,
      SHIFT,
    );
    state.storage.sql.exec(
      "UPDATE invoice SET period_start = period_start - ?, period_end = period_end - ?",
      SHIFT,
      SHIFT,
    );
    state.storage.sql.exec("UPDATE job SET due_at = due_at - ? WHERE kind = 'renew'", SHIFT);
  });
}
