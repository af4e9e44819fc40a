// BullMQ plumbing around the contract: producers add validated payloads and read validated
// results back; workers only ever see payloads that passed the shared schema.
import {
  DelayedError,
  Job,
  Queue,
  QueueEvents,
  UnrecoverableError,
  Worker,
  type DefaultJobOptions,
  type JobsOptions,
} from 'bullmq';
import type { Redis } from 'ioredis';
import { contextFromCarrier, currentTraceContext, withSpan } from '@heartbeat/telemetry';
import { z } from 'zod';
import { bullConnection, type RedisTopology } from './redis-connection';
import {
  JOB_CONTRACTS,
  QUEUE_NAMES,
  type JobPayload,
  type JobPayloadInput,
  type JobQueueName,
  type JobResult,
} from './contracts';

export interface QueueConnection extends RedisTopology {
  /** Namespace of every BullMQ key in Redis (config.queue.prefix); a hash tag such as `{heartbeat}` on a cluster. */
  prefix: string;
}

const DAY_SECONDS = 24 * 60 * 60;

/** Retry and retention per queue: transient failures (S3/DB blips) are retried with backoff. */
export const DEFAULT_JOB_OPTIONS: Record<JobQueueName, DefaultJobOptions> = {
  [QUEUE_NAMES.predictions]: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: DAY_SECONDS, count: 10_000 },
    removeOnFail: { age: 7 * DAY_SECONDS },
  },
  [QUEUE_NAMES.training]: {
    attempts: 2,
    backoff: { type: 'fixed', delay: 10_000 },
    removeOnComplete: { age: 30 * DAY_SECONDS },
    removeOnFail: { age: 30 * DAY_SECONDS },
  },
  [QUEUE_NAMES.deadLetter]: {
    attempts: 1,
    removeOnComplete: { age: 30 * DAY_SECONDS },
    removeOnFail: { age: 30 * DAY_SECONDS },
  },
};

/** The payload did not match the queue's schema; the message lists each offending field. */
export class InvalidJobPayloadError extends Error {
  readonly code = 'INVALID_JOB_PAYLOAD';
  constructor(queue: string, error: z.ZodError) {
    super(`Invalid ${queue} job payload:\n${z.prettifyError(error)}`);
    this.name = 'InvalidJobPayloadError';
  }
}

/** The job did not finish within the wait; it keeps running and can be polled by id. */
export class JobTimeoutError extends Error {
  readonly code = 'JOB_TIMEOUT';
  constructor(
    readonly jobId: string,
    timeoutMs: number,
  ) {
    super(`Job ${jobId} did not finish within ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}

/** The job failed after all its attempts. */
export class JobFailedError extends Error {
  readonly code = 'JOB_FAILED';
  constructor(
    readonly jobId: string,
    reason: string,
  ) {
    super(`Job ${jobId} failed: ${reason}`);
    this.name = 'JobFailedError';
  }
}

/**
 * Thrown by a processor when a system the job needs (object storage, the database) cannot be
 * reached. The job goes back to the queue without spending an attempt and every worker of the
 * queue holds off for a while (WorkerOptions.holdOnUnavailableMs) before taking jobs again. With
 * plain retries, an outage longer than the backoff would fail one job after another until the
 * whole queue had failed.
 */
export class DependencyUnavailableError extends Error {
  readonly code = 'DEPENDENCY_UNAVAILABLE';
  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(`${dependency} is unreachable: ${innermostMessage(cause)}`, { cause });
    this.name = 'DependencyUnavailableError';
  }
}

/**
 * Thrown by a processor that must not hold this job now (see the inference worker's crash
 * isolation): the job goes back to the queue for `delayMs`, to this or another worker, without
 * spending an attempt or counting as stalled, and the other workers carry on.
 */
export class JobDeferredError extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'JobDeferredError';
  }
}

/** The message of the innermost cause: the driver's own words rather than a wrapper's (Drizzle's quotes the whole query). */
function innermostMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** How long a queue holds off after a job met an unreachable dependency, unless a worker says otherwise. */
export const DEFAULT_HOLD_ON_UNAVAILABLE_MS = 5_000;

function parsePayload<N extends JobQueueName>(name: N, data: unknown): JobPayload<N> {
  const parsed = JOB_CONTRACTS[name].payload.safeParse(data);
  if (!parsed.success) throw new InvalidJobPayloadError(name, parsed.error);
  return parsed.data as JobPayload<N>;
}

function parseResult<N extends JobQueueName>(name: N, data: unknown): JobResult<N> {
  const parsed = JOB_CONTRACTS[name].result.safeParse(data);
  if (!parsed.success) throw new Error(`Invalid ${name} job result:\n${z.prettifyError(parsed.error)}`);
  return parsed.data as JobResult<N>;
}

// Workers and queue events block on Redis and must wait for it indefinitely (BullMQ requires it);
// a producer fails fast instead, so that a request can be answered while Redis is down.
const blockingConnection = (connection: QueueConnection) =>
  bullConnection(connection, { maxRetriesPerRequest: null });
const producerConnection = (connection: QueueConnection) =>
  bullConnection(connection, { maxRetriesPerRequest: 2 });

/**
 * True when a Redis command failed because Redis could not be reached (ioredis gave up on the
 * command or the connection is closed), as opposed to a command Redis refused.
 */
export function isQueueUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'MaxRetriesPerRequestError' || /^Connection is closed\.?$/.test(error.message);
}

/** A producer's handle on one queue: adds validated jobs and waits for validated results. */
export class JobQueue<N extends JobQueueName> {
  readonly bull: Queue<JobPayload<N>, JobResult<N>>;
  /** The event reader once made: close() reaches it even while it still waits for Redis. */
  private events?: QueueEvents;
  private eventsReady?: Promise<QueueEvents>;
  private closed = false;
  /** Closes what BullMQ leaves open (a cluster client); nothing for a single server. */
  private readonly releases: (() => void)[] = [];

  constructor(
    readonly name: N,
    private readonly connection: QueueConnection,
    /** Connection problems (BullMQ reconnects by itself); default: one line on stderr. */
    private readonly onError: (error: Error) => void = (error) =>
      console.error(`[${name} queue] ${error.message}`),
  ) {
    const producer = producerConnection(connection);
    this.releases.push(producer.release);
    this.bull = new Queue<JobPayload<N>, JobResult<N>>(name, {
      connection: producer.connection,
      prefix: connection.prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS[name],
    });
    // Without a listener BullMQ prints every reconnection failure with its stack.
    this.bull.on('error', onError);
  }

  /** Validates the payload against the queue's schema (throws InvalidJobPayloadError) and enqueues it. */
  async add(
    payload: JobPayloadInput<N>,
    options: JobsOptions = {},
  ): Promise<Job<JobPayload<N>, JobResult<N>>> {
    return withSpan(
      `${this.name} publish`,
      {
        kind: 'producer',
        attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': this.name },
      },
      async () => {
        const carried = (payload as { traceContext?: Record<string, string> }).traceContext;
        const data = parsePayload(this.name, { ...payload, traceContext: carried ?? currentTraceContext() });
        return (await this.bull.add(this.name as never, data as never, options)) as Job<
          JobPayload<N>,
          JobResult<N>
        >;
      },
    );
  }

  /**
   * Waits until the job completes and returns its validated result. Throws JobTimeoutError after
   * `timeoutMs` (the job keeps running) and JobFailedError when it failed after all attempts.
   */
  async waitForResult(job: Job<JobPayload<N>, JobResult<N>>, timeoutMs: number): Promise<JobResult<N>> {
    const events = await this.queueEvents();
    const jobId = job.id!;
    let result: unknown;
    try {
      result = await job.waitUntilFinished(events, timeoutMs);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/timed out/i.test(message)) throw new JobTimeoutError(jobId, timeoutMs);
      throw new JobFailedError(jobId, message);
    }
    return parseResult(this.name, result);
  }

  /** Number of jobs per state (waiting, active, completed, failed, delayed...). */
  async counts(): Promise<Record<string, number>> {
    return this.bull.getJobCounts();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.events?.close(), this.bull.close()]);
    for (const release of this.releases) release();
  }

  private queueEvents(): Promise<QueueEvents> {
    if (!this.eventsReady) {
      this.eventsReady = this.startQueueEvents();
      this.eventsReady.catch(() => (this.eventsReady = undefined)); // the next wait tries again
    }
    return this.eventsReady;
  }

  /**
   * QueueEvents reads the event stream from '$' by default, and its waitUntilReady() resolves
   * before that first read is sent: a job that completed in between would never be heard of
   * (BullMQ issue #2874) and its waiter would time out. Reading on from the stream's newest entry
   * as of now closes that gap, because every wait checks the job's state after this point.
   */
  private async startQueueEvents(): Promise<QueueEvents> {
    const backend = this.bull.getBackend();
    // Connections made from a URL are ioredis clients; BullMQ's client type leaves out XREVRANGE.
    const client = (await backend.client) as unknown as Pick<Redis, 'xrevrange'>;
    const [newest] = await client.xrevrange(backend.keys.events, '+', '-', 'COUNT', 1);
    if (this.closed) throw new Error(`The ${this.name} queue handle is closed`);
    const blocking = blockingConnection(this.connection);
    this.releases.push(blocking.release);
    const events = new QueueEvents(this.name, {
      connection: blocking.connection,
      prefix: this.connection.prefix,
      lastEventId: newest?.[0] ?? '0-0',
    });
    events.on('error', this.onError);
    this.events = events;
    await events.waitUntilReady();
    return events;
  }
}

export function createQueue<N extends JobQueueName>(
  name: N,
  connection: QueueConnection,
  onError?: (error: Error) => void,
): JobQueue<N> {
  return new JobQueue(name, connection, onError);
}

export type JobProcessor<N extends JobQueueName> = (
  payload: JobPayload<N>,
  job: Job<JobPayload<N>, JobResult<N>>,
) => Promise<JobResult<N>>;

export interface WorkerOptions {
  connection: QueueConnection;
  concurrency?: number;
  /** Copy jobs that fail for good to the dead-letter queue (default true). */
  deadLetter?: boolean;
  /** Start consuming immediately (default true). */
  autorun?: boolean;
  /** Connection and processing errors (BullMQ reconnects by itself); default: printed to stderr. */
  onError?: (error: Error) => void;
  /** How long the queue holds off after a DependencyUnavailableError (default 5 s). */
  holdOnUnavailableMs?: number;
  /** Called when a job met an unreachable dependency and went back to the queue. */
  onHold?: (error: DependencyUnavailableError, holdMs: number) => void;
  /** Called as a job starts: when it was queued (ms since the epoch) and which attempt this is (1 = first). */
  onJobStarted?: (job: { queuedAt: number; attempt: number }) => void;
}

/** A consumer of one queue. Close it on shutdown: in-flight jobs finish first. */
export class JobWorker<N extends JobQueueName> {
  constructor(
    readonly worker: Worker<JobPayload<N>, JobResult<N>>,
    private readonly deadLetterQueue?: JobQueue<typeof QUEUE_NAMES.deadLetter>,
    private readonly holds?: QueueHold,
    private readonly release: () => void = () => undefined,
  ) {}

  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  /** BullMQ's id of this consumer, the owner part of its job locks (see StalledJobReclaimer). */
  get consumerId(): string {
    return this.worker.id;
  }

  async close(): Promise<void> {
    await this.worker.close();
    await Promise.all([this.deadLetterQueue?.close(), this.holds?.close()]);
    this.release();
  }
}

/** Holds a queue for every worker, through BullMQ's rate-limit key; the Queue handle opens on first use. */
class QueueHold {
  private queue?: Queue;
  private release?: () => void;

  constructor(
    private readonly name: string,
    private readonly connection: QueueConnection,
    private readonly onError: (error: Error) => void,
  ) {}

  async hold(ms: number): Promise<void> {
    if (!this.queue) {
      const blocking = blockingConnection(this.connection);
      this.release = blocking.release;
      this.queue = new Queue(this.name, {
        connection: blocking.connection,
        prefix: this.connection.prefix,
      });
      this.queue.on('error', this.onError);
    }
    await this.queue.rateLimit(ms);
  }

  async close(): Promise<void> {
    await this.queue?.close();
    this.release?.();
  }
}

// BullMQ only honours a queue's rate-limit key (what QueueHold sets) for workers that have a
// limiter; this one is never reached by real traffic.
const UNREACHABLE_LIMITER = { max: Number.MAX_SAFE_INTEGER, duration: 1_000 };

/**
 * Starts a worker whose processor only receives payloads that match the queue's schema. A payload
 * that does not, or a result that does not, fails the job without retries (retrying cannot fix it).
 */
export function createWorker<N extends JobQueueName>(
  name: N,
  processor: JobProcessor<N>,
  options: WorkerOptions,
): JobWorker<N> {
  // Without a listener an 'error' event would crash the process (or BullMQ prints it raw); BullMQ reconnects on its own.
  const onError = options.onError ?? ((error: Error) => console.error(`[${name} worker] ${error.message}`));
  const holds = new QueueHold(name, options.connection, onError);
  const holdMs = options.holdOnUnavailableMs ?? DEFAULT_HOLD_ON_UNAVAILABLE_MS;
  const consumer = blockingConnection(options.connection);
  const worker = new Worker<JobPayload<N>, JobResult<N>>(
    name,
    async (job, token) => {
      let payload: JobPayload<N>;
      try {
        payload = parsePayload(name, job.data);
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
      options.onJobStarted?.({ queuedAt: job.timestamp, attempt: job.attemptsMade + 1 });
      let result: JobResult<N>;
      try {
        // The job's span continues the trace of the request that queued it.
        const carried = (payload as { traceContext?: Record<string, string> }).traceContext;
        result = await withSpan(
          `${name} process`,
          {
            kind: 'consumer',
            parent: contextFromCarrier(carried),
            attributes: {
              'messaging.system': 'bullmq',
              'messaging.destination.name': name,
              'messaging.message.id': job.id ?? '',
              'heartbeat.job.attempt': job.attemptsMade + 1,
            },
          },
          () => processor(payload, job),
        );
      } catch (error) {
        if (error instanceof JobDeferredError && token !== undefined) {
          await job.moveToDelayed(Date.now() + error.delayMs, token);
          throw new DelayedError(error.message);
        }
        if (!(error instanceof DependencyUnavailableError)) throw error;
        options.onHold?.(error, holdMs);
        await holds.hold(holdMs);
        // Back to the waiting list, attempts untouched.
        throw Worker.RateLimitError();
      }
      const parsed = JOB_CONTRACTS[name].result.safeParse(result);
      if (!parsed.success)
        throw new UnrecoverableError(
          `Worker produced an invalid ${name} result:\n${z.prettifyError(parsed.error)}`,
        );
      return parsed.data as JobResult<N>;
    },
    {
      connection: consumer.connection,
      prefix: options.connection.prefix,
      concurrency: options.concurrency ?? 1,
      autorun: options.autorun ?? true,
      limiter: UNREACHABLE_LIMITER,
    },
  );

  const deadLetterQueue =
    (options.deadLetter ?? true) && name !== QUEUE_NAMES.deadLetter
      ? new JobQueue(QUEUE_NAMES.deadLetter, options.connection, onError)
      : undefined;
  if (deadLetterQueue) {
    worker.on('failed', (job, error) => {
      if (!job) return;
      const exhausted =
        error instanceof UnrecoverableError ||
        error.name === 'UnrecoverableError' ||
        job.attemptsMade >= (job.opts.attempts ?? 1);
      if (!exhausted) return;
      void deadLetterQueue
        .add(
          {
            queue: name,
            jobId: job.id ?? 'unknown',
            jobName: job.name,
            payload: job.data,
            failedReason: error.message,
            attemptsMade: job.attemptsMade,
            failedAt: new Date().toISOString(),
          },
          { jobId: `${name}-${job.id}` },
        )
        .catch((deadLetterError: unknown) => worker.emit('error', deadLetterError as Error));
    });
  }
  worker.on('error', onError);
  return new JobWorker(worker, deadLetterQueue, holds, consumer.release);
}
