// The inference worker while object storage, the database or Redis is out of reach: queued jobs wait
// (no attempt spent, nothing failed, nothing dead-lettered) and are all screened once the
// dependency is back. The worker reaches S3 and PostgreSQL through TCP proxies the test cuts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import {
  connectDatabase,
  modelVersions,
  ModelVersionsRepository,
  PredictionsRepository,
  type DatabaseConnection,
} from '@heartbeat/db';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { ModelRegistry } from '@heartbeat/model-registry';
import { createQueue, QUEUE_NAMES, type JobQueue } from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { silentLogger } from '@heartbeat/telemetry';
import { Redis } from 'ioredis';
import { startInferenceWorker, type RunningInferenceWorker } from '../src/inference-worker';
import { CuttableProxy } from '../../../test/cuttable-proxy';
import { QueuedRecordings } from './queued-recordings';
import { workerTestEnv } from './worker-env';

const HOLD_MS = 500;
// Longer than plain retries would last (3 attempts, backoff 1 s then 2 s): without the hold, every job would have failed by then.
const OUTAGE_MS = 4_000;
const FILES = ['a0238.flac', 'b0225.flac', 'e01440.flac', 'a0238.flac'];

let connection: DatabaseConnection;
let storage: ObjectStorage;
let redis: Redis;
let queue: JobQueue<'predictions'>;
let deadLetter: JobQueue<'dead-letter'>;
let recordings: QueuedRecordings;
let s3Proxy: CuttableProxy;
let databaseProxy: CuttableProxy;
let redisProxy: CuttableProxy;
let worker: RunningInferenceWorker;
let workDir: string;

beforeAll(async () => {
  const integrationEnv = inject('integrationEnv');
  workDir = await mkdtemp(path.join(tmpdir(), 'inference-outage-int-'));
  const direct = loadConfig(integrationEnv);
  const s3 = await CuttableProxy.inFrontOf(direct.s3.endpoint);
  const database = await CuttableProxy.inFrontOf(direct.db.url);
  const redisRoute = await CuttableProxy.inFrontOf(direct.redis.url);
  [s3Proxy, databaseProxy, redisProxy] = [s3.proxy, database.proxy, redisRoute.proxy];
  const workerConfig = loadConfig({
    ...workerTestEnv(integrationEnv, { queue: 'outage', workerId: 'outage-worker', workDir, concurrency: 2 }),
    S3_ENDPOINT: s3.url,
    DATABASE_URL: database.url,
    REDIS_URL: redisRoute.url,
    INFERENCE_DEPENDENCY_HOLD_MS: String(HOLD_MS),
  });

  // The test's own reads and writes go straight to S3, PostgreSQL and Redis.
  connection = connectDatabase(direct.db.url, { poolSize: 2 });
  storage = ObjectStorage.fromSettings(direct.s3);
  redis = new Redis(direct.redis.url);
  await connection.db.delete(modelVersions);
  const registry = new ModelRegistry({
    modelVersions: new ModelVersionsRepository(connection.db),
    artifacts: storage,
    publisher: redis,
  });
  await registry.registerModelDirectory(
    await createUntrainedModelDirectory(path.join(workDir, '4.0.0'), '4.0.0', { seed: 40 }),
    {
      status: 'promoted',
    },
  );
  const queueConnection = { redisUrl: direct.redis.url, prefix: workerConfig.queue.prefix };
  queue = createQueue(QUEUE_NAMES.predictions, queueConnection);
  deadLetter = createQueue(QUEUE_NAMES.deadLetter, queueConnection);
  recordings = new QueuedRecordings(storage, connection.db, queue);
  worker = await startInferenceWorker({
    config: workerConfig,
    logger: silentLogger(),
    bundledModelsRoot: path.join(workDir, 'none'),
  });
});

afterAll(async () => {
  await s3Proxy?.restore();
  await databaseProxy?.restore();
  await redisProxy?.restore();
  await worker?.stop();
  for (const q of [queue, deadLetter]) {
    await q?.bull.obliterate({ force: true }).catch(() => undefined);
    await q?.close();
  }
  await s3Proxy?.cut();
  await databaseProxy?.cut();
  await redisProxy?.cut();
  await connection.db.delete(modelVersions);
  redis.disconnect();
  storage.close();
  await connection.close();
  await rm(workDir, { recursive: true, force: true });
});

async function statuses(ids: string[]): Promise<string[]> {
  const repository = new PredictionsRepository(connection.db);
  return Promise.all(ids.map(async (id) => (await repository.findById(id))!.status));
}

describe.each([
  { dependency: 'object storage', proxy: () => s3Proxy },
  { dependency: 'the database', proxy: () => databaseProxy },
])('inference worker while $dependency is out of reach', ({ proxy }) => {
  it('keeps every job queued without spending its attempts, then screens them all once it is back', async () => {
    await proxy().cut();
    const queued = await Promise.all(FILES.map((file) => recordings.enqueue(file)));
    const ids = queued.map(({ predictionId }) => predictionId);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));

    expect(await statuses(ids)).toEqual(FILES.map(() => 'pending'));
    expect(await queue.bull.getJobCountByTypes('failed')).toBe(0);
    expect(await deadLetter.bull.getJobCountByTypes('waiting', 'completed', 'failed')).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.telemetryPort}/metrics`)).text();
    expect(metrics).toMatch(
      /heartbeat_inference_jobs_total\{outcome="held",service="inference-worker"\} [1-9]/,
    );

    await proxy().restore();
    await Promise.all(queued.map(({ job }) => queue.waitForResult(job, 30_000)));
    expect(await statuses(ids)).toEqual(FILES.map(() => 'succeeded'));
    for (const { job } of queued) expect((await queue.bull.getJob(job.id!))?.attemptsMade).toBe(1);
  });
});

describe('inference worker while Redis is out of reach', () => {
  it('survives losing the queue and screens what was queued meanwhile once Redis is back', async () => {
    await redisProxy.cut();
    const queued = await Promise.all(FILES.map((file) => recordings.enqueue(file)));
    const ids = queued.map(({ predictionId }) => predictionId);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    expect(await statuses(ids)).toEqual(FILES.map(() => 'pending'));

    await redisProxy.restore();
    await Promise.all(queued.map(({ job }) => queue.waitForResult(job, 30_000)));
    expect(await statuses(ids)).toEqual(FILES.map(() => 'succeeded'));
    expect(await queue.bull.getJobCountByTypes('failed')).toBe(0);
    const ready = await fetch(`http://127.0.0.1:${worker.telemetryPort}/health/ready`);
    expect(ready.status).toBe(200);
  });
});
