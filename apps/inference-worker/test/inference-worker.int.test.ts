// The inference worker on the real stack: Postgres, Redis (BullMQ) and s3rver, with untrained
// model versions registered in the registry (the tests check the plumbing, not the model's skill).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import {
  BatchesRepository,
  connectDatabase,
  ModelVersionsRepository,
  PredictionsRepository,
  type DatabaseConnection,
} from '@heartbeat/db';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { ModelRegistry } from '@heartbeat/model-registry';
import {
  createQueue,
  listLiveWorkers,
  predictionResultSchema,
  QUEUE_NAMES,
  RecordingHandoff,
  type JobQueue,
} from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { silentLogger } from '@heartbeat/telemetry';
import { startInferenceWorker, type RunningInferenceWorker } from '../src/inference-worker';
import { FIXTURES, QueuedRecordings } from './queued-recordings';
import { workerTestEnv } from './worker-env';
import { freePort } from '../../../test/free-port';
import { ownDatabaseEnv } from '../../../test/own-database';
import { startService, type ServiceProcess } from '../../../test/real-stack';

const RECORDINGS = ['a0238.flac', 'b0225.flac', 'e01440.flac'];

let integrationEnv: Record<string, string>;
let env: Record<string, string>;
let config: Config;
let connection: DatabaseConnection;
let storage: ObjectStorage;
let redis: Redis;
let registry: ModelRegistry;
let queue: JobQueue<'predictions'>;
let worker: RunningInferenceWorker;
let workDir: string;
let recordings: QueuedRecordings;

beforeAll(async () => {
  // Its own database: the hot-swap test promotes a version.
  integrationEnv = await ownDatabaseEnv();
  workDir = await mkdtemp(path.join(tmpdir(), 'inference-worker-int-'));
  env = workerTestEnv(integrationEnv, { queue: 'inference', workerId: 'in-process-worker', workDir });
  config = loadConfig(env);
  connection = connectDatabase(config.db.url, { poolSize: 4 });
  storage = ObjectStorage.fromSettings(config.s3);
  redis = new Redis(config.redis.url);
  registry = new ModelRegistry({
    modelVersions: new ModelVersionsRepository(connection.db),
    artifacts: storage,
    publisher: redis,
  });
  await registry.registerModelDirectory(
    await createUntrainedModelDirectory(path.join(workDir, '3.0.0'), '3.0.0', { seed: 30 }),
    { status: 'promoted' },
  );
  await registry.registerModelDirectory(
    await createUntrainedModelDirectory(path.join(workDir, '3.1.0'), '3.1.0', { seed: 31 }),
  );
  queue = createQueue(QUEUE_NAMES.predictions, { redisUrl: config.redis.url, prefix: config.queue.prefix });
  recordings = new QueuedRecordings(storage, connection.db, queue);
  worker = await startInferenceWorker({
    config,
    logger: silentLogger(),
    bundledModelsRoot: path.join(workDir, 'none'),
  });
});

afterAll(async () => {
  await worker?.stop();
  await queue?.bull.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  redis.disconnect();
  storage.close();
  await connection.close();
  await rm(workDir, { recursive: true, force: true });
});

const predictionRow = (id: string) => new PredictionsRepository(connection.db).findById(id);

describe('inference worker', () => {
  it('screens an uploaded real recording into a completed prediction row and a valid job result', async () => {
    const { job, predictionId } = await recordings.enqueue('a0238.flac');
    const result = await queue.waitForResult(job, 60_000);
    expect(predictionResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({ status: 'succeeded', predictionId, modelVersion: '3.0.0' });
    const row = await predictionRow(predictionId);
    expect(row).toMatchObject({ status: 'succeeded', modelVersion: '3.0.0', jobId: null });
    expect(['normal', 'abnormal', 'unsure']).toContain(row!.label);
    expect(row!.windowScores!.length).toBeGreaterThan(0);
    expect(row!.qualityScore).toBeGreaterThanOrEqual(0);
    expect(row!.latencyMs).toBeGreaterThan(0);
  });

  it('reads a handed-off recording from Redis instead of object storage', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'e01440.flac'));
    const { recording, prediction, storageKey } = await recordings.upload(bytes, 'e01440.flac');
    // Storage no longer has the bytes: only the handoff can make this job succeed.
    await storage.delete(storageKey);
    await new RecordingHandoff(redis, config.queue.prefix).offer(prediction.id, bytes);
    const job = await queue.add({
      recordingId: recording.id,
      storageKey,
      predictionId: prediction.id,
      requestedAt: new Date().toISOString(),
    });
    expect(await queue.waitForResult(job, 60_000)).toMatchObject({
      status: 'succeeded',
      predictionId: prediction.id,
    });
    const metrics = await (await fetch(`http://127.0.0.1:${worker.telemetryPort}/metrics`)).text();
    expect(metrics).toMatch(
      /heartbeat_inference_recording_reads_total\{source="handoff",service="inference-worker"\} [1-9]/,
    );
  });

  it('announces itself in Redis and reports the served model in its metrics and readiness', async () => {
    const [presence] = (await listLiveWorkers(redis, config.queue.prefix)).filter(
      (w) => w.workerId === 'in-process-worker',
    );
    expect(presence).toMatchObject({ modelVersion: '3.0.0', backend: 'onnxruntime-cpu', ready: true });
    const base = `http://127.0.0.1:${worker.telemetryPort}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(
      'heartbeat_model_info{version="3.0.0",backend="onnxruntime-cpu",service="inference-worker"} 1',
    );
    expect(metrics).toMatch(
      /heartbeat_inference_jobs_total\{outcome="succeeded",service="inference-worker"\} [1-9]/,
    );
    expect(metrics).toContain('heartbeat_inference_batch_windows_bucket');
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      checks: { modelVersion: '3.0.0', backend: 'onnxruntime-cpu' },
    });
  });

  it('answers a corrupt file alone with its error code (a completed job with a failed result, no retry), on the row and the batch', async () => {
    const { batch } = await new BatchesRepository(connection.db).create({ totalCount: 2 });
    const good = await recordings.enqueue('b0225.flac', { batchId: batch.id });
    const corrupt = await recordings.enqueue('broken.wav', {
      bytes: Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '), Buffer.alloc(8, 0xff)]),
      batchId: batch.id,
    });
    const answer = await queue.waitForResult(corrupt.job, 60_000);
    expect(answer).toMatchObject({ status: 'failed', error: { code: 'CORRUPT_AUDIO' } });
    await queue.waitForResult(good.job, 60_000);
    const answeredJob = await queue.bull.getJob(corrupt.job.id!);
    expect(await answeredJob!.getState()).toBe('completed');
    expect(answeredJob!.attemptsStarted).toBe(1);
    const row = await predictionRow(corrupt.predictionId);
    expect(row).toMatchObject({ status: 'failed', errorCode: 'CORRUPT_AUDIO' });
    expect(await new BatchesRepository(connection.db).findById(batch.id)).toMatchObject({
      status: 'completed',
      succeededCount: 1,
      failedCount: 1,
    });
  });

  it('hot-swaps to a version promoted mid-run: no job fails and later predictions carry it', async () => {
    const during = await Promise.all(
      Array.from({ length: 9 }, (_, i) => recordings.enqueue(RECORDINGS[i % 3])),
    );
    await queue.waitForResult(during[0].job, 60_000);
    await registry.promote('3.1.0', { reason: 'hot-swap test', actor: 'test' });
    // The swap is announced, then loaded in the background while jobs keep flowing.
    const deadline = Date.now() + 30_000;
    while (!(await listLiveWorkers(redis, config.queue.prefix)).some((w) => w.modelVersion === '3.1.0')) {
      if (Date.now() > deadline) throw new Error('the worker never switched to 3.1.0');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = await Promise.all(
      Array.from({ length: 6 }, (_, i) => recordings.enqueue(RECORDINGS[i % 3])),
    );
    const duringResults = [];
    for (const { job } of during) duringResults.push(await queue.waitForResult(job, 60_000));
    const afterResults = [];
    for (const { job } of after) afterResults.push(await queue.waitForResult(job, 60_000));
    expect([...duringResults, ...afterResults].every((r) => r.status === 'succeeded')).toBe(true);
    expect(duringResults[0].modelVersion).toBe('3.0.0');
    expect(afterResults.map((r) => r.modelVersion)).toEqual(Array(6).fill('3.1.0'));
    expect(worker.modelVersion).toBe('3.1.0');
    // The corrupt file of the previous test completed with a failed result: no job failed.
    expect(await queue.counts()).toMatchObject({ failed: 0 });
  });
});

describe('inference worker process', () => {
  const processes = new WorkerProcesses();
  afterAll(() => processes.cleanUp());

  it('finishes the job in flight when it receives SIGTERM, then exits 0', async () => {
    const { child, prefix, childQueue, output, exited } = processes.start('inference-child', {
      INFERENCE_PROCESSES: '1',
      INFERENCE_WORKER_ID: 'sigterm-child',
      // A long batching wait keeps the job in flight long enough to signal the process mid-job.
      INFERENCE_MAX_BATCH_WAIT_MS: '3000',
      INFERENCE_MAX_BATCH_SIZE: '4096',
    });

    const deadline = Date.now() + 90_000;
    while (!(await listLiveWorkers(redis, prefix)).some((w) => w.workerId === 'sigterm-child' && w.ready)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`worker did not become ready:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const { job, predictionId } = await recordings.enqueue('e01440.flac', { on: childQueue });
    while ((await job.getState()) !== 'active') {
      if (Date.now() > deadline) throw new Error(`job never became active:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await childQueue.bull.getJobState(job.id!)).toBe('completed');
    expect(await predictionRow(predictionId)).toMatchObject({
      status: 'succeeded',
      modelVersion: (await registry.findPromoted())!.version,
    });
    expect(output()).toContain('Shutting down: finishing in-flight jobs');
    expect((await listLiveWorkers(redis, prefix)).map((w) => w.workerId)).not.toContain('sigterm-child');
  });
});

describe('inference worker supervisor process', () => {
  const processes = new WorkerProcesses();
  afterAll(() => processes.cleanUp());

  it('runs two worker processes behind one metrics port, restarts one that dies, and stops both on SIGTERM', async () => {
    const port = await freePort();
    const { child, prefix, childQueue, output, exited } = processes.start('inference-supervised', {
      INFERENCE_PROCESSES: '2',
      INFERENCE_WORKER_ID: 'supervised',
      INFERENCE_WORKER_METRICS_PORT: String(port),
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    const readyWorkers = async (): Promise<{ workerId: string; pid: number }[] | undefined> => {
      const response = await fetch(`${base}/health/ready`).catch(() => undefined);
      if (response?.status !== 200) return undefined;
      return ((await response.json()) as { checks: { workers: { workerId: string; pid: number }[] } }).checks
        .workers;
    };
    const waitUntilReady = async () => {
      for (;;) {
        const workers = await readyWorkers();
        if (workers) return workers;
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`supervisor never became ready:\n${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    const workers = await waitUntilReady();
    expect(workers.map((w) => w.workerId)).toEqual(['supervised-1', 'supervised-2']);
    const live = (await listLiveWorkers(redis, prefix)).map((w) => w.workerId).sort();
    expect(live).toEqual(['supervised-1', 'supervised-2']);

    const jobs = await Promise.all(
      RECORDINGS.concat(RECORDINGS).map((file) => recordings.enqueue(file, { on: childQueue })),
    );
    for (const { job } of jobs)
      expect(await childQueue.waitForResult(job, 60_000)).toMatchObject({ status: 'succeeded' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(
      'heartbeat_inference_jobs_total{outcome="succeeded",service="inference-worker"} 6',
    );
    expect(metrics).toContain('heartbeat_inference_processes{state="running",service="inference-worker"} 2');
    const promoted = (await registry.findPromoted())!.version;
    expect(metrics).toContain(
      `heartbeat_model_info{version="${promoted}",backend="onnxruntime-cpu",service="inference-worker"} 1`,
    );

    process.kill(workers[1].pid, 'SIGKILL');
    let restarted: { workerId: string; pid: number }[] | undefined;
    while (!restarted) {
      const now = await readyWorkers();
      if (now && now[1].pid !== workers[1].pid) restarted = now;
      else if (Date.now() > deadline) throw new Error(`the killed process was not restarted:\n${output()}`);
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(restarted[1].workerId).toBe('supervised-2');
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'heartbeat_inference_process_restarts_total{service="inference-worker"} 1',
    );

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('Shutting down: finishing in-flight jobs');
    for (const { pid } of restarted) expect(processExists(pid)).toBe(false);
    expect((await listLiveWorkers(redis, prefix)).map((w) => w.workerId)).toEqual([]);
  });
});

/** Worker main.ts processes started by a test, each on a queue prefix of its own, killed and cleaned up afterwards. */
class WorkerProcesses {
  private readonly services: ServiceProcess[] = [];
  private readonly queues: JobQueue<'predictions'>[] = [];

  start(name: string, extraEnv: Record<string, string>) {
    const prefix = `${integrationEnv.QUEUE_PREFIX}:${name}`;
    const childQueue = createQueue(QUEUE_NAMES.predictions, { redisUrl: config.redis.url, prefix });
    const service = startService(name, 'apps/inference-worker/src/main.ts', {
      ...env,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      ...extraEnv,
    });
    this.services.push(service);
    this.queues.push(childQueue);
    return { child: service.child, prefix, childQueue, output: service.output, exited: service.exit() };
  }

  async cleanUp(): Promise<void> {
    for (const service of this.services) await service.stop('SIGKILL');
    for (const queue of this.queues) {
      await queue.bull.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
