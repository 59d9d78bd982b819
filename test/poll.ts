/**
 * The one polling helper of the tests (workerd and Node alike: no platform import). Polls
 * `probe` every `intervalMs` until `done` accepts its value, and returns that value; after
 * `timeoutMs` it throws, naming `what` and the last value, so a test never goes on with a
 * state it did not wait for.
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 100, what = "a condition" } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(value)?.slice(0, 2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
