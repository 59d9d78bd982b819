/** How a retry delay grows: `first` after the first failure, doubling, never above `cap`. */
export interface Backoff {
  first: number;
  cap: number;
  /** The share of the delay that jitter may take off (0: none; 0.25: up to a quarter). */
  jitter: number;
}

/**
 * The delay before the retry that follows failure number `attempt` (1-based), in the unit of
 * `first` and `cap`, unrounded: first × 2^(attempt−1), capped, less up to `jitter` of it at
 * random so that many retries after one outage spread out. `random` is in [0, 1].
 * NOTE: delay = min(cap, first × 2^(attempt−1)) × (1 − jitter × random)
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: number): number {
  const exponential = Math.min(backoff.cap, backoff.first * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return exponential * (1 - backoff.jitter * random);
}
