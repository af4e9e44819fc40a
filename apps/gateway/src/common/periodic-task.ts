// A background job of the gateway (the stale-upload sweep, the retention purge): run at start-up and
// then every interval, never two runs at once, and a stop that waits for the run in progress, so it
// finishes before the infrastructure closes its connections.

export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  /** `run` handles its own errors (log and try again next time): a rejection is not caught here. */
  constructor(
    private readonly run: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.runNow();
    this.timer = setInterval(() => this.runNow(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Starts a run unless one is in progress. */
  runNow(): void {
    if (this.running) return;
    this.running = this.run().finally(() => (this.running = undefined));
  }
}
