/** Waits `ms` on a timer of the caller's own (a timer, not a promise another caller resolves). */
export type Sleep = (ms: number) => Promise<void>;

const timer: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A waiter checks for its turn this often: the first in line every 1 ms, the n-th every 1 + 4n ms, at most every second. */
export function pollDelayMs(position: number): number {
  return Math.min(1_000, 1 + 4 * position);
}

/**
 * At most `limit` runs at once; the others wait in arrival order and are let in one by one as
 * runs end (FIFO: a run is never overtaken, so none starves). A run that throws still lets the
 * next one in.
 *
 * NOTE: a run ending never wakes a waiter itself. Durable Objects sharing an isolate may not
 * settle one another's promises (workerd throws "Cannot perform I/O on behalf of a different
 * Durable Object"), so a run that ends only marks the next waiter admitted, plain data, and
 * each waiter looks on its own timer (`pollDelayMs`: often near the head of the line, rarely
 * far back). Each look is also a timer turn, which lets the event loop take in new requests.
 *
 * A permit is a lease: one held longer than `leaseMs` stops counting. Its holder may simply be
 * slow, or it may never end (a canceled request whose `finally` never runs, a hung call); either
 * way the gate lets the next run in rather than wait for it, so it can slow work down but never
 * stop it.
 */
export class AdmissionGate {
  /** Ticket → when its permit was granted (ms). */
  private readonly holders = new Map<number, number>();
  private readonly queue: { ticket: number; admitted: boolean }[] = [];
  private nextTicket = 0;

  constructor(
    readonly limit: number,
    private readonly leaseMs: number,
    private readonly nowMs: () => number = Date.now,
    private readonly sleep: Sleep = timer,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`an admission gate needs a limit of 1 or more; got ${limit}`);
    if (!(leaseMs > 0)) throw new Error(`an admission gate needs a lease of more than 0 ms; got ${leaseMs}`);
  }

  /** Runs `work` once a permit is free (at once, if one is and nobody is waiting). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const ticket = await this.acquire();
    try {
      return await work();
    } finally {
      this.release(ticket);
    }
  }

  /** Runs in flight (lapsed leases included until they are noticed). */
  get running(): number {
    return this.holders.size;
  }

  /** Runs waiting for a permit. */
  get waiting(): number {
    return this.queue.length;
  }

  private async acquire(): Promise<number> {
    const ticket = this.nextTicket++;
    this.dropLapsedLeases();
    this.admitWaiting();
    if (this.queue.length === 0 && this.holders.size < this.limit) {
      this.holders.set(ticket, this.nowMs());
      return ticket;
    }
    const place = { ticket, admitted: false };
    this.queue.push(place);
    while (!place.admitted) {
      // Tickets in the line only grow, so the distance to the head is an upper bound of the position.
      await this.sleep(pollDelayMs(ticket - (this.queue[0]?.ticket ?? ticket)));
      this.dropLapsedLeases();
      this.admitWaiting();
    }
    return ticket;
  }

  private release(ticket: number): void {
    this.holders.delete(ticket);
    this.admitWaiting();
  }

  private admitWaiting(): void {
    while (this.queue.length > 0 && this.holders.size < this.limit) {
      const next = this.queue.shift()!;
      this.holders.set(next.ticket, this.nowMs());
      next.admitted = true;
    }
  }

  private dropLapsedLeases(): void {
    const now = this.nowMs();
    for (const [ticket, grantedAt] of this.holders) {
      if (now - grantedAt >= this.leaseMs) this.holders.delete(ticket);
    }
  }
}
