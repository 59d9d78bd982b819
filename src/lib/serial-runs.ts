/**
 * Runs one asynchronous pass at a time. A call while a pass runs asks for one more pass after
 * it and waits for the run to finish, so passes never overlap and none is lost (the outbox's
 * flush, the read model's KV write). A pass may ask for another itself (`again`).
 */
export class SerialRuns {
  private running: Promise<void> | null = null;
  private rerun = false;

  constructor(private readonly pass: () => Promise<void>) {}

  async run(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        await this.pass();
      } while (this.rerun);
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  /** From inside a pass: run once more after it. */
  again(): void {
    this.rerun = true;
  }
}
