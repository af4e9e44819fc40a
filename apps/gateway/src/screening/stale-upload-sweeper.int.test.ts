// What a gateway that died mid-request leaves behind (a `receiving` batch holding its Idempotency-Key,
// a stored recording queued, one stored but never queued; predictions whose job is gone), and
// another gateway's sweep dealing with it, on the real Postgres and Redis of the integration run.
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import {
  batches,
  BatchesRepository,
  connectDatabase,
  PredictionsRepository,
  RecordingsRepository,
  type Batch,
  type DatabaseConnection,
} from '@heartbeat/db';
import { createQueue, QUEUE_NAMES, type JobQueue } from '@heartbeat/queue';
import { createGatewayApp } from '../gateway-app';
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import { UPLOAD_ABORTED } from './batch-intake';

const HOUR_AGO = () => new Date(Date.now() - 60 * 60 * 1000);

let config: Config;
let connection: DatabaseConnection;
let batchRows: BatchesRepository;
let predictionRows: PredictionsRepository;
let queue: JobQueue<'predictions'>;
let gateway: NestExpressApplication | undefined;

beforeAll(async () => {
  const env = inject('integrationEnv');
  config = loadConfig({
    ...env,
    QUEUE_PREFIX: `${env.QUEUE_PREFIX}:stale-batches`,
    STALE_UPLOAD_TIMEOUT_MS: String(10 * 60 * 1000),
    STALE_UPLOAD_SWEEP_INTERVAL_MS: '200',
  });
  connection = connectDatabase(config.db.url, { poolSize: 2 });
  batchRows = new BatchesRepository(connection.db);
  predictionRows = new PredictionsRepository(connection.db);
  queue = createQueue(QUEUE_NAMES.predictions, { redisUrl: config.redis.url, prefix: config.queue.prefix });
});

afterAll(async () => {
  await gateway?.close();
  await queue?.bull.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await connection?.close();
});

type Left = 'queued' | 'never queued' | 'succeeded';

/** A stored recording and its prediction created `at` that time, queued or not, as a request leaves them. */
async function storedPrediction(at: Date, left: Left, batchId: string | null) {
  const recording = await new RecordingsRepository(connection.db).create({
    storageKey: `recordings/${randomUUID()}`,
    sha256: randomUUID().replace(/-/g, '').padEnd(64, '0'),
    originalFileName: 'a0001.wav',
    format: 'wav',
    sizeBytes: 1000,
  });
  const prediction = await predictionRows.create({
    recordingId: recording.id,
    batchId,
    status: left === 'succeeded' ? 'succeeded' : 'pending',
    createdAt: at,
  });
  if (left === 'queued')
    await queue.add(
      {
        recordingId: recording.id,
        storageKey: recording.storageKey,
        predictionId: prediction.id,
        batchId: batchId ?? undefined,
        requestedAt: at.toISOString(),
      },
      { jobId: prediction.id },
    );
  return prediction;
}

/** A receiving batch and its predictions as a gateway leaves them, created `at` that time. */
async function receivingBatch(at: Date, left: Left[]) {
  const idempotencyKey = `upload-${randomUUID()}`;
  const { batch } = await batchRows.create({ totalCount: 0, idempotencyKey, receiving: true });
  await connection.db
    .update(batches)
    .set({ createdAt: at, totalCount: left.length })
    .where(eq(batches.id, batch.id));
  const rows = [];
  for (const each of left) rows.push(await storedPrediction(at, each, batch.id));
  return { batch, idempotencyKey, predictions: rows };
}

/** A gateway (no HTTP listener needed) whose sweep runs every 200 ms; started once for the file. */
async function startSweepingGateway(): Promise<void> {
  if (gateway) return;
  gateway = await createGatewayApp(config, { logger: false });
  await gateway.init();
}

async function batchNoLongerReceiving(id: string, timeoutMs = 10_000): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = (await batchRows.findById(id))!;
    if (batch.status !== 'receiving') return batch;
    if (Date.now() > deadline) throw new Error(`Batch ${id} still receiving after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a batch left receiving by a gateway that stopped mid-upload', () => {
  it('is failed by another gateway, frees its Idempotency-Key and fails only the recordings that will never be screened', async () => {
    const crashed = await receivingBatch(HOUR_AGO(), ['queued', 'never queued', 'succeeded']);
    const uploading = await receivingBatch(new Date(), ['queued']);

    await startSweepingGateway();
    const ended = await batchNoLongerReceiving(crashed.batch.id);

    expect(ended.status).toBe('failed');
    expect(ended.idempotencyKey).toBeNull();
    expect(await batchRows.findByIdempotencyKey(crashed.idempotencyKey)).toBeUndefined();
    const [queued, neverQueued, succeeded] = await Promise.all(
      crashed.predictions.map((p) => predictionRows.findById(p.id)),
    );
    expect(queued).toMatchObject({ status: 'failed', errorCode: UPLOAD_ABORTED });
    expect(neverQueued).toMatchObject({ status: 'failed', errorCode: UPLOAD_ABORTED });
    expect(neverQueued!.errorMessage).toMatch(/send the batch again/);
    expect(succeeded!.status).toBe('succeeded');
    expect(await queue.bull.getJob(crashed.predictions[0]!.id)).toBeUndefined();

    // An upload still in progress is left alone.
    expect((await batchRows.findById(uploading.batch.id))!.status).toBe('receiving');
    expect((await predictionRows.findById(uploading.predictions[0]!.id))!.status).toBe('pending');
    expect(await queue.bull.getJob(uploading.predictions[0]!.id)).toBeDefined();
    expect(await gateway!.get(GatewayMetrics).registry.metrics()).toMatch(
      /heartbeat_gateway_stale_batches_ended_total\{[^}]*\} 1\b/,
    );
  });
});

describe('a pending prediction whose job is gone (its request died before queueing it, or Redis lost the queue)', () => {
  it('is queued again from the database once older than the timeout; queued, recent and abandoned ones are left alone', async () => {
    const single = await storedPrediction(HOUR_AGO(), 'never queued', null);
    const { batch: running } = await batchRows.create({ totalCount: 1 });
    const inBatch = await storedPrediction(HOUR_AGO(), 'never queued', running.id);
    const queuedLongAgo = await storedPrediction(HOUR_AGO(), 'queued', null);
    const recent = await storedPrediction(new Date(), 'never queued', null);
    const { batch: failed } = await batchRows.create({ totalCount: 1 });
    await batchRows.setStatus(failed.id, 'failed');
    const inFailedBatch = await storedPrediction(HOUR_AGO(), 'never queued', failed.id);
    await startSweepingGateway();

    const deadline = Date.now() + 10_000;
    const settled = async () =>
      (await queue.bull.getJob(inBatch.id)) &&
      (await predictionRows.findById(inFailedBatch.id))!.status === 'failed';
    while (!(await settled()) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));

    expect((await queue.bull.getJob(single.id))?.data).toMatchObject({
      predictionId: single.id,
      recordingId: single.recordingId,
    });
    expect((await queue.bull.getJob(inBatch.id))?.data).toMatchObject({
      predictionId: inBatch.id,
      batchId: running.id,
    });
    expect((await queue.bull.getJob(queuedLongAgo.id))?.data.requestedAt).toBeDefined();
    expect(await queue.bull.getJob(recent.id)).toBeUndefined();
    expect(await queue.bull.getJob(inFailedBatch.id)).toBeUndefined();
    for (const prediction of [single, inBatch, recent])
      expect((await predictionRows.findById(prediction.id))!.status).toBe('pending');
    // A broken-off batch's recording whose job is gone will never be screened: failed, and counted.
    expect(await predictionRows.findById(inFailedBatch.id)).toMatchObject({
      status: 'failed',
      errorCode: UPLOAD_ABORTED,
    });
    expect(await batchRows.findById(failed.id)).toMatchObject({ status: 'failed', failedCount: 1 });
    expect(await gateway!.get(GatewayMetrics).registry.metrics()).toMatch(
      /heartbeat_gateway_predictions_requeued_total\{[^}]*\} 2\b/,
    );
  });
});
