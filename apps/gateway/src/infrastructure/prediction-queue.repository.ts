// The gateway's door to the job queue: enqueue prediction jobs (job id = prediction id, so a retry
// never queues a recording twice), wait for one, and read the dead-letter queue.
import type { JobType } from 'bullmq';
import {
  createQueue,
  deadLetterJobSchema,
  predictionJobSchema,
  QUEUE_NAMES,
  type DeadLetterJob,
  type JobQueue,
  type PredictionJobInput,
  type PredictionResult,
  type QueueConnection,
} from '@heartbeat/queue';

export interface DeadLetterEntry extends DeadLetterJob {
  id: string;
}

export class PredictionQueueRepository {
  private readonly predictions: JobQueue<typeof QUEUE_NAMES.predictions>;
  private readonly deadLetter: JobQueue<typeof QUEUE_NAMES.deadLetter>;

  constructor(connection: QueueConnection) {
    this.predictions = createQueue(QUEUE_NAMES.predictions, connection);
    this.deadLetter = createQueue(QUEUE_NAMES.deadLetter, connection);
  }

  /** Queues one interactive job ahead of waiting batch work (LIFO), for /predict. */
  async enqueueInteractive(payload: PredictionJobInput & { predictionId: string }): Promise<string> {
    const job = await this.predictions.add(payload, { jobId: payload.predictionId, lifo: true });
    return job.id!;
  }

  /** Queues many jobs in one round trip; payloads are validated against the shared schema first. */
  async enqueueMany(payloads: (PredictionJobInput & { predictionId: string })[]): Promise<string[]> {
    if (payloads.length === 0) return [];
    const jobs = payloads.map((payload) => {
      const data = predictionJobSchema.parse(payload);
      return { name: QUEUE_NAMES.predictions, data, opts: { jobId: payload.predictionId } };
    });
    const added = await this.predictions.bull.addBulk(jobs as never);
    return added.map((job) => job.id!);
  }

  /** The job's result, or JobTimeoutError / JobFailedError from the queue lib. */
  async waitForResult(jobId: string, timeoutMs: number): Promise<PredictionResult> {
    const job = await this.predictions.bull.getJob(jobId);
    if (!job) throw new Error(`Job ${jobId} vanished from the queue`);
    return this.predictions.waitForResult(job, timeoutMs);
  }

  /** Jobs that exhausted their attempts (or were rejected as invalid), newest first. */
  async listDeadLetter({ limit, offset }: { limit: number; offset: number }): Promise<{ items: DeadLetterEntry[]; total: number }> {
    const states: JobType[] = ['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized'];
    const [jobs, counts] = await Promise.all([
      this.deadLetter.bull.getJobs(states, offset, offset + limit - 1, false),
      this.deadLetter.bull.getJobCounts(...states),
    ]);
    const items: DeadLetterEntry[] = [];
    for (const job of jobs) {
      const parsed = deadLetterJobSchema.safeParse(job.data);
      if (parsed.success) items.push({ id: job.id ?? parsed.data.jobId, ...parsed.data });
    }
    items.sort((a, b) => b.failedAt.localeCompare(a.failedAt));
    return { items, total: Object.values(counts).reduce((sum, n) => sum + n, 0) };
  }

  async close(): Promise<void> {
    await Promise.all([this.predictions.close(), this.deadLetter.close()]);
  }
}
