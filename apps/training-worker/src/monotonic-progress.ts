// Run progress that never goes backwards (a resumed run starts from where it was), reported to the
// BullMQ job on every meaningful change and to the training_runs row at milestones, in order.
import type { Metrics } from '@heartbeat/db';

export type JobProgressSink = (progress: number) => Promise<unknown> | void;
export type RunProgressSink = (
  progress: number,
  extra?: { metrics?: Metrics; logLine?: string },
) => Promise<unknown>;

/** The job is told at most every this many ms, unless progress moved by at least MIN_STEP. */
const JOB_REPORT_INTERVAL_MS = 1_000;
const MIN_STEP = 0.01;

export class MonotonicProgress {
  private current: number;
  private lastJobValue: number;
  private lastJobAt = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    start: number,
    private readonly job: JobProgressSink,
    private readonly run: RunProgressSink,
  ) {
    this.current = clamp(start);
    this.lastJobValue = this.current;
  }

  get value(): number {
    return this.current;
  }

  /** Raises progress (lower values are ignored) and tells the job when it moved enough. */
  set(value: number): void {
    this.current = Math.max(this.current, clamp(value));
    const now = Date.now();
    if (
      this.current - this.lastJobValue >= MIN_STEP ||
      (now - this.lastJobAt >= JOB_REPORT_INTERVAL_MS && this.current > this.lastJobValue)
    ) {
      this.lastJobValue = this.current;
      this.lastJobAt = now;
      this.enqueue(() => this.job(this.current));
    }
  }

  /** Raises progress (when given) and writes it, with metrics or a log line, to the run row. */
  report(value: number | undefined, extra?: { metrics?: Metrics; logLine?: string }): Promise<void> {
    if (value !== undefined) this.current = Math.max(this.current, clamp(value));
    const snapshot = this.current;
    this.lastJobValue = snapshot;
    this.lastJobAt = Date.now();
    return this.enqueue(async () => {
      await this.job(snapshot);
      await this.run(snapshot, extra);
    });
  }

  /** Waits for every report so far to be written; rethrows nothing (a missed report is not fatal). */
  async flush(): Promise<void> {
    await this.chain;
  }

  private enqueue(task: () => Promise<unknown> | unknown): Promise<void> {
    const next = this.chain.then(task).then(
      () => undefined,
      () => undefined,
    );
    this.chain = next;
    return next;
  }
}

const clamp = (value: number) => Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
