/** The idempotency context the Worker passes with a POST (docs/billing-rules.md, Conventions). */
export interface Idempotency {
  key: string;
  /** SHA-256 of method, path and canonical body: a different request under one key is 422. */
  fingerprint: string;
  /** Milliseconds since the epoch, by the platform clock. */
  nowMs: number;
}
