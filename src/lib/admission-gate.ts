/** Waits `ms` on a timer of the caller's own (a timer, not a promise another caller resolves). */
export type Sleep = (ms: number) => Promise<void>;

const timer: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long a waiter sleeps before it looks for its turn again: half the time its turn should
 * take to come (its place in line × the runs' average length ÷ the limit), between 1 ms and 1 s.
 * So a waiter looks a few times (about log₂ of its place), not every millisecond, and the one
 * at the head of the line looks every millisecond.
 */
export function pollDelayMs(position: number, averageRunMs: number, limit: number): number {
  return Math.min(1_000, Math.max(1, Math.round((position * averageRunMs) / limit / 2)));
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
  /** The runs' average length (ms), a moving average: how fast the line moves. */
  private averageRunMs = 10;

  constructor(
    private limitNow: number,
    private readonly leaseMs: number,
    private readonly nowMs: () => number = Date.now,
    private readonly sleep: Sleep = timer,
  ) {
    this.setLimit(limitNow);
    if (!(leaseMs > 0)) throw new Error(`an admission gate needs a lease of more than 0 ms; got ${leaseMs}`);
  }

  /** Runs in flight at most. */
  get limit(): number {
    return this.limitNow;
  }

  /** Changes the limit; waiters are let in at their next look if it grew. */
  setLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`an admission gate needs a limit of 1 or more; got ${limit}`);
    this.limitNow = limit;
  }

  /** Runs `work` once a permit is free (at once, if one is and nobody is waiting). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const ticket = await this.acquire();
    const startedAt = this.nowMs();
    try {
      return await work();
    } finally {
      this.averageRunMs = 0.9 * this.averageRunMs + 0.1 * Math.max(0, this.nowMs() - startedAt);
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
    if (this.queue.length === 0 && this.holders.size < this.limitNow) {
      this.holders.set(ticket, this.nowMs());
      return ticket;
    }
    const place = { ticket, admitted: false };
    this.queue.push(place);
    while (!place.admitted) {
      // Tickets in the line only grow, so the distance to the head is an upper bound of the position.
      const position = ticket - (this.queue[0]?.ticket ?? ticket);
      await this.sleep(pollDelayMs(position, this.averageRunMs, this.limitNow));
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
    while (this.queue.length > 0 && this.holders.size < this.limitNow) {
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
