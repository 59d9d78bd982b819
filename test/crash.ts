import { runInDurableObject } from "cloudflare:test";

/**
 * Crash injection without test hooks in production code: wraps the live instance's storage so
 * that the (n+1)th transaction and everything after it throws, as if the process had died right
 * after the nth commit. The caller then evicts the object (the restart): nothing after the crash
 * point reaches storage, exactly as after SIGKILL, and the restarted instance runs with the real
 * storage and no further request, only its alarm.
 *
 * A dead process runs no alarm either: one the platform fires at the crashed instance before
 * the restart (a read-model retry due a second later, on a loaded machine) does nothing but
 * keep the alarm set, as the platform retries an alarm whose run died; the restarted instance
 * runs it. (Left to run, it would throw the injected crash out of the alarm handler, which
 * workerd logs as an uncaught exception.) An alarm the test runs itself before the crash
 * (`runDurableObjectAlarm`) runs as always: that is how a crash inside a renewal is injected.
 */
export async function crashAfterTransactions(stub: DurableObjectStub, n: number): Promise<{ crashed: () => boolean }> {
  let crashed = false;
  await runInDurableObject(stub, (live, state) => {
    const instance = live as unknown as { alarm(): Promise<void> };
    const storage = state.storage as DurableObjectStorage & { transactionSync<T>(fn: () => T): T };
    const real = storage.transactionSync.bind(storage);
    let commits = 0;
    storage.transactionSync = <T>(fn: () => T): T => {
      if (crashed || commits >= n) {
        crashed = true;
        throw new Error(`crash injected after ${n} transactions`);
      }
      commits += 1;
      return real(fn);
    };
    const alarm = instance.alarm.bind(instance);
    instance.alarm = async () => {
      if (!crashed) return alarm();
      await state.storage.setAlarm(Date.now());
    };
  });
  return { crashed: () => crashed };
}
