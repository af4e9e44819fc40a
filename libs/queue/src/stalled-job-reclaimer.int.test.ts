// A consumer that dies holding jobs (its Redis connections gone, its locks still valid for 30 s):
// the reclaimer hands exactly its jobs back at once, on the integration run's Redis, and counts the
// crash against the job it ran alone when it had marked one.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { QUEUE_NAMES, type PredictionResult } from './contracts';
import { createQueue, createWorker, type JobQueue, type JobWorker, type QueueConnection } from './queues';
import { waitFor } from '../../../test/real-stack';
import { connectRedis } from './redis-connection';
import { LoneJobMarks, loneJobKey, StalledJobReclaimer } from './stalled-job-reclaimer';

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
  const { jobIds, notBlamed } = await reclaimer.reclaim(dying.consumerId);
  expect(jobIds.sort()).toEqual([first.id, second.id].sort());
  expect(notBlamed).toEqual([]);
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
  expect(await reclaimer.reclaim(dying.consumerId)).toEqual({ jobIds: [], notBlamed: [] });
});

describe('a consumer that dies while it runs one job alone', () => {
  // A queue of their own: the first test's workers would take the jobs handed back.
  let lone: { connection: QueueConnection; queue: JobQueue<'predictions'>; reclaimer: StalledJobReclaimer };
  const redis = () => connectRedis(lone.connection, { maxRetriesPerRequest: 2 });

  beforeAll(() => {
    const own = { ...connection, prefix: `${connection.prefix}-lone` };
    lone = {
      connection: own,
      queue: createQueue(QUEUE_NAMES.predictions, own),
      reclaimer: new StalledJobReclaimer(QUEUE_NAMES.predictions, own),
    };
  });
  afterAll(async () => {
    await lone.queue.bull.obliterate({ force: true });
    await Promise.all([lone.queue.close(), lone.reclaimer.close()]);
  });

  /** Three jobs active in a consumer that then dies; `mark` names one of them (or another id) as running alone. */
  async function dieHoldingThree(mark: (ids: string[]) => string) {
    const dying = createWorker(QUEUE_NAMES.predictions, never, {
      connection: lone.connection,
      concurrency: 3,
      deadLetter: false,
    });
    workers.push(dying);
    const jobs = [await lone.queue.add(job()), await lone.queue.add(job()), await lone.queue.add(job())];
    await waitFor(
      'the three jobs to be active',
      async () =>
        (await Promise.all(jobs.map((j) => j.getState()))).every((s) => s === 'active') || undefined,
      within10s,
    );
    const ids = jobs.map((j) => j.id!);
    const client = redis();
    const marks = new LoneJobMarks(client, lone.connection.prefix, QUEUE_NAMES.predictions, (error) => {
      throw error;
    });
    let marked!: () => void;
    const markedNow = new Promise<void>((resolve) => (marked = resolve));
    void marks.whileRunning(dying.consumerId, mark(ids), () => (marked(), never()));
    await markedNow;
    await waitFor(
      'the mark to be written',
      async () =>
        (await client.get(loneJobKey(lone.connection.prefix, QUEUE_NAMES.predictions, dying.consumerId))) ??
        undefined,
      within10s,
    );
    await dying.worker.disconnect();
    const reclaimed = await lone.reclaimer.reclaim(dying.consumerId);
    const stalledCounts = await Promise.all(
      ids.map(async (id) => (await lone.queue.bull.getJob(id))?.stalledCounter),
    );
    const markLeft = await client.exists(
      loneJobKey(lone.connection.prefix, QUEUE_NAMES.predictions, dying.consumerId),
    );
    client.disconnect();
    await lone.queue.bull.drain();
    return { ids, reclaimed, stalledCounts, markLeft };
  }

  it('counts the crash against the lone job only: the others were on their way back to the queue', async () => {
    const { ids, reclaimed, stalledCounts, markLeft } = await dieHoldingThree((ids) => ids[1]!);
    expect(reclaimed.jobIds.sort()).toEqual([...ids].sort());
    expect(reclaimed.notBlamed.sort()).toEqual([ids[0], ids[2]].sort());
    expect(stalledCounts).toEqual([0, 1, 0]);
    expect(markLeft).toBe(0);
  });

  it('blames every job when the marked one is no longer held (a mark left over from an earlier lone run)', async () => {
    const { ids, reclaimed, stalledCounts, markLeft } = await dieHoldingThree(() => 'finished-long-ago');
    expect(reclaimed.jobIds.sort()).toEqual([...ids].sort());
    expect(reclaimed.notBlamed).toEqual([]);
    expect(stalledCounts).toEqual([1, 1, 1]);
    expect(markLeft).toBe(0);
  });
});
