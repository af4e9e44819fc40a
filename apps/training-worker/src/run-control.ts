// A run's out-of-band control through Redis: the cancel flag the gateway raises, the lease this worker
// holds while it executes a run (a lease that expires means its worker died), and re-queueing a run
// to resume it from its last checkpoint.
import {
  isTrainingCancelRequested,
  isTrainingRunLeased,
  trainingCancelKey,
  trainingLeaseKey,
  TRAINING_LEASE_TTL_MS,
  type TrainingControlStore,
  type TrainingJob,
  type TrainingJobInput,
} from '@heartbeat/queue';
import type { RunControl } from './training-run.service';

/** Where a resume job goes (the training queue satisfies it). */
export interface ResumeQueue {
  add(job: TrainingJobInput, options: { jobId: string }): Promise<unknown>;
}

export interface RedisRunControlOptions {
  /** The queue prefix the gateway uses for the same keys. */
  prefix: string;
  /** Written into the lease, for an operator reading Redis. */
  holder: string;
  leaseTtlMs?: number;
}

export class RedisRunControl implements RunControl {
  private readonly leaseTtlMs: number;

  constructor(
    private readonly redis: TrainingControlStore,
    private readonly queue: ResumeQueue,
    private readonly options: RedisRunControlOptions,
  ) {
    this.leaseTtlMs = options.leaseTtlMs ?? TRAINING_LEASE_TTL_MS;
  }

  isCancelRequested(runId: string): Promise<boolean> {
    return isTrainingCancelRequested(this.redis, this.options.prefix, runId);
  }

  async clearCancel(runId: string): Promise<void> {
    await this.redis.del(trainingCancelKey(this.options.prefix, runId));
  }

  isLeased(runId: string): Promise<boolean> {
    return isTrainingRunLeased(this.redis, this.options.prefix, runId);
  }

  /** Takes the lease and refreshes it every third of its time to live until the returned release is called. */
  async holdLease(runId: string): Promise<() => Promise<void>> {
    const key = trainingLeaseKey(this.options.prefix, runId);
    const refresh = () => this.redis.set(key, this.options.holder, 'PX', this.leaseTtlMs);
    await refresh();
    const timer = setInterval(() => void refresh().catch(() => undefined), this.leaseTtlMs / 3);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await this.redis.del(key);
    };
  }

  /** One resume job per checkpoint: repeated sweeps before it runs do not pile up duplicates. */
  async requeue(
    runId: string,
    job: Pick<TrainingJob, 'kind' | 'params'>,
    checkpointKey?: string,
  ): Promise<void> {
    const epoch = /checkpoint-epoch-(\d+)/.exec(checkpointKey ?? '')?.[1] ?? 'start';
    await this.queue.add(
      { runId, kind: job.kind, params: job.params },
      { jobId: `${runId}-resume-epoch-${epoch}` },
    );
  }
}
