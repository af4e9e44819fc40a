import { randomUUID } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { QUEUE_NAMES, type PredictionJob, type PredictionResult } from './contracts';
import {
  createQueue,
  createWorker,
  DependencyUnavailableError,
  JobDeferredError,
  InvalidJobPayloadError,
  JobTimeoutError,
  type JobQueue,
  type JobWorker,
  type QueueConnection,
} from './queues';

let connection: QueueConnection;
let predictions: JobQueue<'predictions'>;
let deadLetter: JobQueue<'dead-letter'>;
const workers: JobWorker<'predictions'>[] = [];

beforeAll(() => {
  const config = loadConfig(inject('integrationEnv'));
  // A prefix per test file, so leftovers of one file can never feed jobs to another.
  connection = { redisUrl: config.redis.url, prefix: `${config.queue.prefix}-queues` };
  predictions = createQueue(QUEUE_NAMES.predictions, connection);
  deadLetter = createQueue(QUEUE_NAMES.deadLetter, connection);
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.close()));
  await predictions.bull.obliterate({ force: true });
  await deadLetter.bull.obliterate({ force: true });
});

afterAll(async () => {
  await Promise.all([predictions.close(), deadLetter.close()]);
});

const aPredictionJob = () => ({
  recordingId: randomUUID(),
  storageKey: `recordings/${'b'.repeat(64)}`,
  batchId: randomUUID(),
  requestedAt: new Date().toISOString(),
});

describe('prediction queue', () => {
  it('delivers a job to a worker and returns the worker result to the producer', async () => {
    const received: PredictionJob[] = [];
    workers.push(
      createWorker(
        QUEUE_NAMES.predictions,
        async (payload): Promise<PredictionResult> => {
          received.push(payload);
          return {
            status: 'succeeded',
            label: 'normal',
            probability: 0.12,
            quality: 0.95,
            windows: [{ startSeconds: 0, endSeconds: 5, probability: 0.12 }],
            modelVersion: '1.0.0',
            latencyMs: 7,
          };
        },
        { connection },
      ),
    );
    const payload = aPredictionJob();

    const job = await predictions.add(payload);
    const result = await predictions.waitForResult(job, 10_000);

    expect(received).toEqual([{ ...payload, schemaVersion: 1 }]);
    expect(result).toMatchObject({
      status: 'succeeded',
      label: 'normal',
      probability: 0.12,
      modelVersion: '1.0.0',
    });
  });

  it('hears of a job that completes before its event reader has started reading', async () => {
    // BullMQ's event reader may send its first read only after the wait has checked the job's
    // state; here that first read is held back until the job has completed in between.
    let startReading!: () => void;
    const readerHeldBack = new Promise<void>((resolve) => (startReading = resolve));
    const prototype = QueueEvents.prototype as unknown as { consumeEvents(): Promise<void> };
    const consumeEvents = prototype.consumeEvents;
    const spy = vi.spyOn(prototype, 'consumeEvents').mockImplementation(async function (this: QueueEvents) {
      await readerHeldBack;
      return consumeEvents.call(this);
    });
    const freshProducer = createQueue(QUEUE_NAMES.predictions, connection);
    try {
      const job = await freshProducer.add(aPredictionJob());
      const result = freshProducer.waitForResult(job, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the wait has checked the state by now
      workers.push(
        createWorker(
          QUEUE_NAMES.predictions,
          async (): Promise<PredictionResult> => ({
            status: 'succeeded',
            label: 'abnormal',
            probability: 0.91,
            quality: 0.9,
            windows: [],
            modelVersion: '1.0.0',
            latencyMs: 3,
          }),
          { connection },
        ),
      );
      await expect.poll(() => job.getState(), { timeout: 5_000 }).toBe('completed');
      startReading();

      await expect(result).resolves.toMatchObject({ label: 'abnormal', probability: 0.91 });
    } finally {
      startReading();
      spy.mockRestore();
      await freshProducer.close();
    }
  });

  it('refuses to enqueue a payload that breaks the contract', async () => {
    await expect(predictions.add({ ...aPredictionJob(), recordingId: 'not-a-uuid' })).rejects.toThrow(
      InvalidJobPayloadError,
    );
    expect((await predictions.counts()).waiting).toBe(0);
  });

  it('gives up waiting after the timeout while the job stays queued', async () => {
    const job = await predictions.add(aPredictionJob());

    await expect(predictions.waitForResult(job, 300)).rejects.toThrow(JobTimeoutError);
    expect(await job.getState()).toBe('waiting');
  });

  it('sends a malformed job to the dead-letter queue without retrying it', async () => {
    let calls = 0;
    const worker = createWorker(
      QUEUE_NAMES.predictions,
      async () => {
        calls++;
        throw new Error('unreachable');
      },
      { connection },
    );
    workers.push(worker);
    // Bypasses the producer-side validation, as an old or foreign producer would.
    const job = await predictions.bull.add('predictions' as never, { recordingId: 42 } as never);

    await expect(predictions.waitForResult(job as never, 10_000)).rejects.toThrow(
      /Invalid predictions job payload/,
    );
    await expect.poll(() => deadLetter.bull.getJobCountByTypes('waiting'), { timeout: 5_000 }).toBe(1);
    const [dead] = await deadLetter.bull.getJobs(['waiting']);

    expect(calls).toBe(0);
    expect(dead?.data).toMatchObject({
      queue: 'predictions',
      jobId: job.id,
      attemptsMade: 1,
      payload: { recordingId: 42 },
    });
  });

  it('retries a transient failure with backoff before succeeding', async () => {
    let attempts = 0;
    workers.push(
      createWorker(
        QUEUE_NAMES.predictions,
        async (): Promise<PredictionResult> => {
          attempts++;
          if (attempts === 1) throw new Error('S3 unavailable');
          return { status: 'failed', error: { code: 'TOO_SHORT', message: 'Recording is 1.2 s long' } };
        },
        { connection },
      ),
    );

    const job = await predictions.add(aPredictionJob(), {
      backoff: { type: 'fixed', delay: 50 },
    });
    const result = await predictions.waitForResult(job, 10_000);

    expect(attempts).toBe(2);
    expect(result).toEqual({
      status: 'failed',
      error: { code: 'TOO_SHORT', message: 'Recording is 1.2 s long' },
    });
    expect(await deadLetter.bull.getJobCountByTypes('waiting')).toBe(0);
  });

  it('puts a job back without spending an attempt while a dependency is unreachable, and holds every worker off', async () => {
    const tries: number[] = [];
    const holds: string[] = [];
    const processor = async (): Promise<PredictionResult> => {
      tries.push(Date.now());
      if (tries.length <= 4)
        throw new DependencyUnavailableError(
          'Object storage',
          new Error('connect ECONNREFUSED 127.0.0.1:4569'),
        );
      return { status: 'failed', error: { code: 'TOO_SHORT', message: 'Recording is 1.2 s long' } };
    };
    const onHold = (error: DependencyUnavailableError) => holds.push(error.message);
    // Two workers: a hold set by one must stop the other too.
    workers.push(
      createWorker(QUEUE_NAMES.predictions, processor, { connection, holdOnUnavailableMs: 300, onHold }),
    );
    workers.push(
      createWorker(QUEUE_NAMES.predictions, processor, { connection, holdOnUnavailableMs: 300, onHold }),
    );

    // One attempt only: a spent attempt would fail the job for good.
    const job = await predictions.add(aPredictionJob(), { attempts: 1 });
    const result = await predictions.waitForResult(job, 15_000);

    expect(result).toMatchObject({ status: 'failed', error: { code: 'TOO_SHORT' } });
    expect(tries).toHaveLength(5);
    for (let i = 1; i < tries.length; i++) expect(tries[i]! - tries[i - 1]!).toBeGreaterThanOrEqual(250);
    expect(holds).toEqual(
      Array(4).fill('Object storage is unreachable: connect ECONNREFUSED 127.0.0.1:4569'),
    );
    expect((await predictions.bull.getJob(job.id!))?.attemptsMade).toBe(1);
    expect(await predictions.bull.getJobCountByTypes('failed')).toBe(0);
  });

  it('hands a deferred job back for later without spending an attempt or counting it as stalled', async () => {
    const tries: number[] = [];
    const processor = async (): Promise<PredictionResult> => {
      tries.push(Date.now());
      if (tries.length <= 2) throw new JobDeferredError(200, 'another job runs alone here');
      return { status: 'failed', error: { code: 'TOO_SHORT', message: 'Recording is 1.2 s long' } };
    };
    workers.push(createWorker(QUEUE_NAMES.predictions, processor, { connection }));

    // One attempt only: a spent attempt would fail the job for good.
    const job = await predictions.add(aPredictionJob(), { attempts: 1 });
    const result = await predictions.waitForResult(job, 15_000);

    expect(result).toMatchObject({ status: 'failed', error: { code: 'TOO_SHORT' } });
    expect(tries).toHaveLength(3);
    for (let i = 1; i < tries.length; i++) expect(tries[i]! - tries[i - 1]!).toBeGreaterThanOrEqual(190);
    const finished = await predictions.bull.getJob(job.id!);
    expect(finished?.attemptsMade).toBe(1);
    expect(finished?.stalledCounter).toBe(0);
    expect(await predictions.bull.getJobCountByTypes('failed')).toBe(0);
  });
});
