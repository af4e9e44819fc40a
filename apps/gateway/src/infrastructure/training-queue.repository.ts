// The gateway's door to the training queue: queue a run (job id = run id), take a queued run back
// before a worker starts it, ask a running one to stop, and the lock that keeps two starts apart.
import { Logger } from '@nestjs/common';
import {
  createQueue,
  QUEUE_NAMES,
  requestTrainingCancel,
  type JobQueue,
  type QueueConnection,
  type TrainingJobInput,
} from '@heartbeat/queue';
import type { Redis } from 'ioredis';

export class TrainingQueueRepository {
  private readonly queue: JobQueue<typeof QUEUE_NAMES.training>;

  constructor(
    private readonly connection: QueueConnection,
    private readonly redis: Redis,
  ) {
    const logger = new Logger('TrainingQueue');
    this.queue = createQueue(QUEUE_NAMES.training, connection, (error) =>
      logger.warn(`Queue connection problem: ${error.message}`),
    );
  }

  async enqueue(job: TrainingJobInput): Promise<void> {
    await this.queue.add(job, { jobId: job.runId });
  }

  /** Removes the run's job if no worker has taken it yet; true when it was removed. */
  async removeWaiting(runId: string): Promise<boolean> {
    const job = await this.queue.bull.getJob(runId);
    if (!job || !(await job.isWaiting().catch(() => false))) return false;
    return job.remove().then(
      () => true,
      () => false,
    );
  }

  /** A running run stops at its next batch; the worker marks it cancelled. */
  async requestCancel(runId: string): Promise<void> {
    await requestTrainingCancel(this.redis, this.connection.prefix, runId);
  }

  /** Takes the start lock for `ms`; false when another start holds it. */
  async tryLockStart(ms: number): Promise<boolean> {
    return (await this.redis.set(this.startLockKey, '1', 'PX', ms, 'NX')) === 'OK';
  }

  async releaseStartLock(): Promise<void> {
    await this.redis.del(this.startLockKey);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private get startLockKey(): string {
    return `${this.connection.prefix}:training:start-lock`;
  }
}
