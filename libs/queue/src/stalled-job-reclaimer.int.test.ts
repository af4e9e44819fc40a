// A consumer that dies holding jobs (its Redis connections gone, its locks still valid for 30 s):
// the reclaimer hands exactly its jobs back at once, on the integration run's Redis.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { QUEUE_NAMES, type PredictionResult } from './contracts';
import { createQueue, createWorker, type JobQueue, type JobWorker, type QueueConnection } from './queues';
import { waitFor } from '../../../test/real-stack';
import { StalledJobReclaimer } from './stalled-job-reclaimer';

let connection: QueueConnection;
let predictions: JobQueue<'predictions'>;
let reclaimer: StalledJobReclaimer;
const workers: JobWorker<'predictions'>[] = [];

beforeAll(() => {
  const config = loadConfig(inject('integrationEnv'));
  connection = { redisUrl: config.redis.url, prefix: `${config.queue.prefix}-reclaim` };
  predictions = createQueue(QUEUE_NAMES.predictions, connection);
  reclaimer = new StalledJobReclaimer(QUEUE_NAMES.predictions, connection);
});

afterAll(async () => {
  // Forced: their processors never finish.
  await Promise.all(workers.map((worker) => worker.worker.close(true).catch(() => undefined)));
  await predictions.bull.obliterate({ force: true });
  await Promise.all([predictions.close(), reclaimer.close()]);
});

const job = () => ({
  recordingId: randomUUID(),
  storageKey: `recordings/${'c'.repeat(64)}`,
  requestedAt: new Date().toISOString(),
});
const answer: PredictionResult = {
  status: 'succeeded',
  label: 'normal',
  probability: 0.1,
  quality: 0.9,
  windows: [],
  modelVersion: '1.0.0',
  latencyMs: 1,
};
const never = () => new Promise<PredictionResult>(() => undefined);

const within10s = { timeoutMs: 10_000, everyMs: 50 };

it("hands a dead consumer's jobs back at once, and leaves a live consumer's running job alone", async () => {
  const dying = createWorker(QUEUE_NAMES.predictions, never, {
    connection,
    concurrency: 2,
    deadLetter: false,
  });
  workers.push(dying);
  const [first, second] = [await predictions.add(job()), await predictions.add(job())];
  await waitFor(
    'both jobs to be active',
    async () =>
      ((await first.getState()) === 'active' && (await second.getState()) === 'active') || undefined,
    within10s,
  );
  // The process dies: its connections drop, its locks stay until they expire.
  await dying.worker.disconnect();

  const live = createWorker(QUEUE_NAMES.predictions, never, {
    connection,
    concurrency: 1,
    deadLetter: false,
  });
  workers.push(live);
  const running = await predictions.add(job());
  await waitFor(
    'the live job to be active',
    async () => (await running.getState()) === 'active' || undefined,
    within10s,
  );

  const started = Date.now();
  expect((await reclaimer.reclaim(dying.consumerId)).sort()).toEqual([first.id, second.id].sort());
  workers.push(
    createWorker(QUEUE_NAMES.predictions, async () => answer, {
      connection,
      concurrency: 2,
      deadLetter: false,
    }),
  );
  await waitFor(
    'both reclaimed jobs to complete',
    async () =>
      ((await first.getState()) === 'completed' && (await second.getState()) === 'completed') || undefined,
    within10s,
  );
  // BullMQ alone would take the 30-s lock plus up to a 30-s stalled check.
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(await running.getState()).toBe('active');
  expect(await reclaimer.reclaim(dying.consumerId)).toEqual([]);
});
