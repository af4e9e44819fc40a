// The gateway's door to the job queue: enqueue prediction jobs (job id = prediction id, so a retry
// never queues a recording twice), wait for one, and read the dead-letter queue.
import { Logger } from '@nestjs/common';
import type { Job, JobType } from 'bullmq';
import {
  createQueue,
  deadLetterJobSchema,
  predictionJobSchema,
  QUEUE_NAMES,
  type DeadLetterJob,
  type JobQueue,
  type PredictionJob,
  type PredictionJobInput,
  type PredictionResult,
  type QueueConnection,
} from '@heartbeat/queue';
import { currentTraceContext } from '@heartbeat/telemetry';

export interface DeadLetterEntry extends DeadLetterJob {
  id: string;
}

/** A queued prediction job, as returned by enqueueInteractive. */
export type QueuedPrediction = Job<PredictionJob, PredictionResult>;

/** Jobs per state of the predictions queue; `waiting` includes the prioritized (batch) jobs. */
export interface PredictionQueueDepth {
  waiting: number;
  active: number;
  delayed: number;
}

/** How far behind the prediction queue is, and how many jobs were given up on. */
export interface PredictionQueueBacklog {
  /** Age of the oldest job waiting to start (interactive or batch); 0 when none waits. */
  oldestWaitingAgeSeconds: number;
  /** Entries in the dead-letter queue. */
  deadLetterJobs: number;
}

/**
 * Batch jobs go to BullMQ's prioritized set, which its workers only take from once the plain wait
 * list is empty. Interactive /predict jobs go to that wait list (FIFO), so they run ahead of any
 * batch backlog and in arrival order among themselves.
 */
export const BATCH_JOB_PRIORITY = 10;

/** Every state a dead-letter entry can be in (nothing consumes them, so in practice `waiting`). */
const DEAD_LETTER_STATES: JobType[] = ['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized'];

export class PredictionQueueRepository {
  private readonly predictions: JobQueue<typeof QUEUE_NAMES.predictions>;
  private readonly deadLetter: JobQueue<typeof QUEUE_NAMES.deadLetter>;

  constructor(connection: QueueConnection) {
    // Through Nest's logger, so Redis trouble is a JSON line like everything the gateway logs.
    const logger = new Logger('PredictionQueue');
    const onError = (error: Error) => logger.warn(`Queue connection problem: ${error.message}`);
    this.predictions = createQueue(QUEUE_NAMES.predictions, connection, onError);
    this.deadLetter = createQueue(QUEUE_NAMES.deadLetter, connection, onError);
  }

  /** Queues one interactive job for /predict, ahead of waiting batch work (see BATCH_JOB_PRIORITY). */
  async enqueueInteractive(
    payload: PredictionJobInput & { predictionId: string },
  ): Promise<QueuedPrediction> {
    return this.predictions.add(payload, { jobId: payload.predictionId });
  }

  /** Queues batch jobs in one round trip, behind interactive work; payloads are validated against the shared schema first. */
  async enqueueMany(payloads: (PredictionJobInput & { predictionId: string })[]): Promise<string[]> {
    if (payloads.length === 0) return [];
    const jobs = payloads.map((payload) => {
      const data = predictionJobSchema.parse({
        ...payload,
        traceContext: payload.traceContext ?? currentTraceContext(),
      });
      return {
        name: QUEUE_NAMES.predictions,
        data,
        opts: { jobId: payload.predictionId, priority: BATCH_JOB_PRIORITY },
      };
    });
    const added = await this.predictions.bull.addBulk(jobs as never);
    return added.map((job) => job.id!);
  }

  /**
   * Takes queued jobs back before a worker starts them (an abandoned upload). Returns the ids that
   * were removed; jobs already running, or finished, are left alone.
   */
  async removeWaiting(jobIds: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const id of jobIds) {
      const job = await this.predictions.bull.getJob(id);
      const state = job ? await job.getState() : undefined;
      if (state !== 'waiting' && state !== 'prioritized' && state !== 'delayed') continue;
      // remove() refuses a job a worker has locked in the meantime.
      if (await this.predictions.bull.remove(id)) removed.push(id);
    }
    return removed;
  }

  /** The ids among `jobIds` that have no job in the queue at all (never queued, or long gone). */
  async withoutJob(jobIds: readonly string[]): Promise<string[]> {
    const jobs = await Promise.all(jobIds.map((id) => this.predictions.bull.getJob(id)));
    return jobIds.filter((_, i) => !jobs[i]);
  }

  /**
   * The job's result, or JobTimeoutError / JobFailedError from the queue lib. Takes the job handle
   * from enqueueInteractive, so waiting costs no extra look-up.
   */
  waitForResult(job: QueuedPrediction, timeoutMs: number): Promise<PredictionResult> {
    return this.predictions.waitForResult(job, timeoutMs);
  }

  /** How many prediction jobs wait and run now (the queue-depth gauge). */
  async depth(): Promise<PredictionQueueDepth> {
    const counts = await this.predictions.bull.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
    };
  }

  /** The backlog gauges: the oldest waiting job's age, and the size of the dead-letter queue. */
  async backlog(now = Date.now()): Promise<PredictionQueueBacklog> {
    // Oldest first: the wait list's tail and the prioritized set's lowest score (one priority for all batch jobs).
    const [waiting, prioritized, deadLetter] = await Promise.all([
      this.predictions.bull.getJobs(['waiting'], 0, 0, true),
      this.predictions.bull.getJobs(['prioritized'], 0, 0, true),
      this.deadLetter.bull.getJobCounts(...DEAD_LETTER_STATES),
    ]);
    const enqueued = [...waiting, ...prioritized]
      .map((job) => job?.timestamp)
      .filter((t): t is number => typeof t === 'number');
    return {
      oldestWaitingAgeSeconds: enqueued.length ? Math.max(0, (now - Math.min(...enqueued)) / 1000) : 0,
      deadLetterJobs: Object.values(deadLetter).reduce((sum, n) => sum + n, 0),
    };
  }

  /** Jobs that exhausted their attempts (or were rejected as invalid), newest first. */
  async listDeadLetter({
    limit,
    offset,
  }: {
    limit: number;
    offset: number;
  }): Promise<{ items: DeadLetterEntry[]; total: number }> {
    const states = DEAD_LETTER_STATES;
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
