// The training worker while object storage or the database is out of reach: a retrain waits (and
// says so in its log) instead of failing, and finishes once the dependency is back. The worker
// reaches S3 and PostgreSQL through TCP proxies the test cuts; the test itself goes straight to them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import {
  connectDatabase,
  modelVersions,
  ModelVersionsRepository,
  trainingRuns,
  TrainingRunsRepository,
  trainingSamples,
  type DatabaseConnection,
  type TrainingRun,
} from '@heartbeat/db';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { ModelRegistry } from '@heartbeat/model-registry';
import { createQueue, QUEUE_NAMES, type JobQueue } from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { silentLogger } from '@heartbeat/telemetry';
import { Redis } from 'ioredis';
import { CuttableProxy } from '../../../test/cuttable-proxy';
import { startTrainingWorker, type RunningTrainingWorker } from '../src/training-worker';
import { ownDatabaseEnv } from '../../../test/own-database';

const ROOT = path.resolve(__dirname, '../../..');
const TINY = { epochs: 1, windowsPerEpoch: 16, batchSize: 16, blockFilters: [4, 4, 8, 8, 8], maxMinutes: 10 };
// Longer than BullMQ's own retries of a training job would last (2 attempts, 10 s apart) is not
// needed: before, the first attempt marked the run failed at once.
const OUTAGE_MS = 4_000;

let connection: DatabaseConnection;
let runs: TrainingRunsRepository;
let storage: ObjectStorage;
let redis: Redis;
let queue: JobQueue<'training'>;
let s3Proxy: CuttableProxy;
let databaseProxy: CuttableProxy;
let worker: RunningTrainingWorker;
let workDir: string;

beforeAll(async () => {
  const integrationEnv = await ownDatabaseEnv();
  workDir = await mkdtemp(path.join(tmpdir(), 'training-outage-int-'));
  const direct = loadConfig(integrationEnv);
  const s3 = await CuttableProxy.inFrontOf(direct.s3.endpoint);
  const database = await CuttableProxy.inFrontOf(direct.db.url);
  [s3Proxy, databaseProxy] = [s3.proxy, database.proxy];
  const workerConfig = loadConfig({
    ...integrationEnv,
    QUEUE_PREFIX: `${integrationEnv.QUEUE_PREFIX}:training-outage`,
    LOG_LEVEL: 'silent',
    TRAINING_WORKER_METRICS_PORT: '0',
    INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'model-cache'),
    TRAINING_BASE_DATA_DIR: path.join(ROOT, 'samples'),
    TRAINING_WORK_DIR: path.join(workDir, 'training'),
    TRAINING_DEPENDENCY_RETRY_MS: '200',
    S3_ENDPOINT: s3.url,
    DATABASE_URL: database.url,
  });

  connection = connectDatabase(direct.db.url, { poolSize: 2 });
  runs = new TrainingRunsRepository(connection.db);
  storage = ObjectStorage.fromSettings(direct.s3);
  redis = new Redis(direct.redis.url);
  await connection.db.delete(modelVersions);
  await connection.db.delete(trainingRuns);
  await connection.db.delete(trainingSamples);
  const registry = new ModelRegistry({
    modelVersions: new ModelVersionsRepository(connection.db),
    artifacts: storage,
    publisher: redis,
  });
  await registry.registerModelDirectory(
    await createUntrainedModelDirectory(path.join(workDir, '6.0.0'), '6.0.0', { seed: 60 }),
    {
      status: 'promoted',
    },
  );
  queue = createQueue(QUEUE_NAMES.training, {
    redisUrl: direct.redis.url,
    prefix: workerConfig.queue.prefix,
  });
  worker = await startTrainingWorker({ config: workerConfig, logger: silentLogger() });
});

afterAll(async () => {
  await s3Proxy?.restore();
  await databaseProxy?.restore();
  await worker?.stop();
  await queue?.bull.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await s3Proxy?.cut();
  await databaseProxy?.cut();
  await connection.db.delete(modelVersions);
  await connection.db.delete(trainingRuns);
  redis.disconnect();
  storage.close();
  await connection.close();
  await rm(workDir, { recursive: true, force: true });
});

/** Creates and queues a retrain as the gateway does. */
async function startRetrain(): Promise<TrainingRun> {
  const run = await runs.create({ kind: 'retrain', params: TINY, site: null });
  await queue.add(
    { runId: run.id, kind: 'retrain', params: TINY, requestedAt: new Date().toISOString() },
    { jobId: run.id },
  );
  return run;
}

async function finished(runId: string, timeoutMs = 120_000): Promise<TrainingRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await runs.findById(runId))!;
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`Run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('a retrain while object storage is out of reach', () => {
  it('waits, saying so in its log, and finishes once storage is back', async () => {
    await s3Proxy.cut();
    const run = await startRetrain();
    try {
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));

      const waiting = (await runs.findById(run.id))!;
      expect(waiting.status).toBe('running');
      expect(waiting.log).toMatch(
        /Object storage is out of reach while fetching the serving model; trying again in 200 ms/,
      );
    } finally {
      await s3Proxy.restore();
    }
    const done = await finished(run.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(await queue.bull.getJobCountByTypes('failed')).toBe(0);
  });
});

describe('a retrain while the database is out of reach', () => {
  it('waits without failing its job, and finishes once the database is back', async () => {
    await databaseProxy.cut();
    const run = await startRetrain();
    try {
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));

      expect((await runs.findById(run.id))!.status).toBe('queued');
      expect(await queue.bull.getJobCountByTypes('active')).toBe(1);
      expect(await queue.bull.getJobCountByTypes('failed')).toBe(0);
    } finally {
      await databaseProxy.restore();
    }
    const done = await finished(run.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(await queue.bull.getJobCountByTypes('failed')).toBe(0);
  });
});
