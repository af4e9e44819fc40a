// The gateway in-process against the real Postgres, Redis and S3 server of the integration run.
// Jobs are checked on the queue itself; a stand-in worker answers where a response needs one (the
// real inference worker is exercised by gateway-worker.int.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import {
  BatchesRepository,
  ModelVersionsRepository,
  PredictionsRepository,
  RecordingsRepository,
  ScreeningRepository,
} from '@heartbeat/db';
import {
  createQueue,
  createWorker,
  QUEUE_NAMES,
  WorkerPresencePublisher,
  type JobWorker,
  type PredictionResult,
} from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { CuttableProxy } from '../../../test/cuttable-proxy';
import { ownDatabaseEnv } from '../../../test/own-database';
import { ApiKeysService } from './auth/api-keys.service';
import { createGatewayApp } from './gateway-app';
import { GatewayTelemetry } from './telemetry/gateway-telemetry';

const ROOT = path.resolve(__dirname, '../../..');
const sample = (name: string) =>
  readFileSync(path.join(ROOT, 'samples', `training-${name[0]}`, `${name}.flac`));
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(200, 7),
]);
const MAX_UPLOAD_BYTES = 100_000;

interface Running {
  app: NestExpressApplication;
  base: string;
  config: Config;
}

/**
 * Its own database: GET /metrics promotes a version when none is, and what another file left
 * promoted would decide which of its branches runs.
 */
let env: Record<string, string>;

async function start(overrides: Record<string, string>): Promise<Running> {
  const config = loadConfig({
    ...env,
    QUEUE_PREFIX: `${env.QUEUE_PREFIX}:gw${Math.random().toString(36).slice(2, 6)}`,
    ...overrides,
  });
  const app = await createGatewayApp(config, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  return { app, config, base: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
}

function form(field: string, files: { name: string; bytes: Buffer }[]): FormData {
  const body = new FormData();
  for (const file of files) body.append(field, new Blob([new Uint8Array(file.bytes)]), file.name);
  return body;
}

let gateway: Running;
let admin: string;
let screening: string;
let queue: Queue;
const BOOTSTRAP = 'hb_bootstrap-secret-for-tests';

beforeAll(async () => {
  env = await ownDatabaseEnv();
  gateway = await start({
    PUBLIC_READS: 'false',
    MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    MAX_BATCH_FILES: '20',
    PREDICT_TIMEOUT_MS: '300',
    RATE_LIMIT_PER_MINUTE: '100000',
    HEARTBEAT_BOOTSTRAP_API_KEY: BOOTSTRAP,
  });
  const keys = gateway.app.get(ApiKeysService);
  admin = (await keys.create({ role: 'admin', name: 'int-admin' })).secret;
  screening = (await keys.create({ role: 'screening', name: 'int-screening' })).secret;
  queue = new Queue(QUEUE_NAMES.predictions, {
    connection: { url: gateway.config.redis.url },
    prefix: gateway.config.queue.prefix,
  });
});

afterAll(async () => {
  await queue?.close();
  await gateway?.app.close();
});

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('health and uptime', () => {
  it('reports every dependency up and no model loaded while no worker is live', async () => {
    const response = await fetch(`${gateway.base}/health`);
    const body = await response.json();
    expect(response.status).toBe(200);
    expect(body).toMatchObject({
      status: 'degraded',
      modelLoaded: false,
      model_loaded: false,
      checks: { api: 'up', database: 'up', redis: 'up', storage: 'up', model: 'down' },
    });
  });

  it('says the model is loaded when a live worker reports ready', async () => {
    const redis = new Redis(gateway.config.redis.url);
    const presence = new WorkerPresencePublisher(redis, gateway.config.queue.prefix, () => ({
      workerId: 'int-worker',
      modelVersion: '9.9.9',
      backend: 'onnxruntime-cpu',
      ready: true,
      inFlight: 0,
      startedAt: new Date().toISOString(),
    }));
    await presence.publish();
    try {
      const body = await (await fetch(`${gateway.base}/health`)).json();
      expect(body).toMatchObject({ status: 'ok', modelLoaded: true, modelVersions: ['9.9.9'] });
      expect(body.workers[0]).toMatchObject({ workerId: 'int-worker', backend: 'onnxruntime-cpu' });
    } finally {
      await presence.stop();
      redis.disconnect();
    }
  });

  it('answers the liveness and readiness probes and /uptime', async () => {
    expect((await fetch(`${gateway.base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${gateway.base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { database: 'up', redis: 'up', storage: 'up' },
    });
    const uptime = await (await fetch(`${gateway.base}/uptime`)).json();
    expect(uptime.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(uptime.uptime).toMatch(/^\d+h \d+m \d+s$/);
  });
});

describe('API keys', () => {
  it('refuses a write without a key with 401 API_KEY_MISSING', async () => {
    const response = await fetch(`${gateway.base}/predict`, {
      method: 'POST',
      body: form('file', [{ name: 'a.flac', bytes: sample('a0114') }]),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ statusCode: 401, code: 'API_KEY_MISSING' });
  });

  it('refuses an unknown key with 401 API_KEY_INVALID, from either header', async () => {
    const bearer = await fetch(`${gateway.base}/api/v1/batches`, {
      method: 'POST',
      headers: auth('hb_nope'),
      body: form('files', []),
    });
    const header = await fetch(`${gateway.base}/api/v1/batches`, {
      method: 'POST',
      headers: { 'X-API-Key': 'hb_nope' },
      body: form('files', []),
    });
    expect([bearer.status, header.status]).toEqual([401, 401]);
    expect((await header.json()).code).toBe('API_KEY_INVALID');
  });

  it('refuses a screening key on an admin endpoint with 403 FORBIDDEN_ROLE', async () => {
    const response = await fetch(`${gateway.base}/api/v1/dead-letter`, {
      headers: { 'X-API-Key': screening },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN_ROLE' });
  });

  it('needs a key for reads when PUBLIC_READS is off', async () => {
    expect((await fetch(`${gateway.base}/visualizations/class-distribution`)).status).toBe(401);
    expect(
      (await fetch(`${gateway.base}/visualizations/class-distribution`, { headers: auth(screening) })).status,
    ).toBe(200);
  });

  it('created the bootstrap key from HEARTBEAT_BOOTSTRAP_API_KEY as an admin key', async () => {
    expect((await fetch(`${gateway.base}/api/v1/dead-letter`, { headers: auth(BOOTSTRAP) })).status).toBe(
      200,
    );
  });

  it('lets an admin create a key over HTTP whose secret then works', async () => {
    const created = await fetch(`${gateway.base}/api/v1/api-keys`, {
      method: 'POST',
      headers: { ...auth(admin), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'ward-3', role: 'screening' }),
    });
    expect(created.status).toBe(201);
    const { secret, apiKey } = await created.json();
    expect(apiKey).toMatchObject({ name: 'ward-3', role: 'screening' });
    expect(apiKey).not.toHaveProperty('keyHash');
    expect((await fetch(`${gateway.base}/api/v1/dead-letter`, { headers: auth(secret) })).status).toBe(403);
  });
});

describe('POST /predict', () => {
  it('refuses a PNG with 415 naming what it is, before storing anything', async () => {
    const response = await fetch(`${gateway.base}/predict`, {
      method: 'POST',
      headers: auth(screening),
      body: form('file', [{ name: 'heart.wav', bytes: PNG }]),
    });
    const body = await response.json();
    expect(response.status).toBe(415);
    expect(body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_FORMAT' });
    expect(body.message).toContain('got a PNG image');
  });

  it('refuses a file over MAX_UPLOAD_BYTES with 413 FILE_TOO_LARGE', async () => {
    const big = Buffer.concat([sample('a0114'), sample('a0293')]);
    expect(big.length).toBeGreaterThan(MAX_UPLOAD_BYTES);
    const response = await fetch(`${gateway.base}/predict`, {
      method: 'POST',
      headers: auth(screening),
      body: form('file', [{ name: 'big.flac', bytes: big }]),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'FILE_TOO_LARGE' });
  });

  it('refuses a body that is not multipart with 415 NOT_MULTIPART', async () => {
    const response = await fetch(`${gateway.base}/predict`, {
      method: 'POST',
      headers: { ...auth(screening), 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('NOT_MULTIPART');
  });

  it('answers 202 with a status URL when no worker answers in time, having queued the job', async () => {
    const response = await fetch(`${gateway.base}/predict`, {
      method: 'POST',
      headers: auth(screening),
      body: form('file', [{ name: 'a0114.flac', bytes: sample('a0114') }]),
    });
    const body = await response.json();
    expect(response.status).toBe(202);
    expect(body).toMatchObject({ status: 'pending', statusUrl: `/api/v1/predictions/${body.predictionId}` });
    const job = await queue.getJob(body.predictionId);
    expect(job?.data).toMatchObject({
      predictionId: body.predictionId,
      storageKey: expect.stringMatching(/^recordings\/[0-9a-f]{64}$/),
    });
    const prediction = await (
      await fetch(`${gateway.base}${body.statusUrl}`, { headers: auth(screening) })
    ).json();
    expect(prediction).toMatchObject({
      id: body.predictionId,
      status: 'pending',
      fileName: 'a0114.flac',
      recordingId: job?.data.recordingId,
    });
    await job?.remove();
  });

  it("answers 200 with the worker's result when it arrives in time", async () => {
    const slowGateway = await start({ PREDICT_TIMEOUT_MS: '20000', RATE_LIMIT_PER_MINUTE: '1000' });
    const key = (await slowGateway.app.get(ApiKeysService).create({ role: 'screening', name: 'predict-200' }))
      .secret;
    const worker: JobWorker<'predictions'> = createWorker(
      QUEUE_NAMES.predictions,
      async (): Promise<PredictionResult> => ({
        status: 'succeeded',
        label: 'abnormal',
        probability: 0.9,
        quality: 0.8,
        windows: [{ startSeconds: 0, endSeconds: 5, probability: 0.9 }],
        modelVersion: '1.0.0',
        latencyMs: 5,
      }),
      { connection: { redisUrl: slowGateway.config.redis.url, prefix: slowGateway.config.queue.prefix } },
    );
    try {
      const response = await fetch(`${slowGateway.base}/predict`, {
        method: 'POST',
        headers: auth(key),
        body: form('file', [{ name: 'a0293.flac', bytes: sample('a0293') }]),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'succeeded',
        label: 'abnormal',
        prediction: 'abnormal',
        confidence: 0.9,
        fileName: 'a0293.flac',
        modelVersion: '1.0.0',
      });
    } finally {
      await worker.close();
      await slowGateway.app.close();
    }
  });
});

describe('batches', () => {
  it('queues every good file of /batch-predict and rejects a corrupt one alone with its code', async () => {
    const response = await fetch(`${gateway.base}/batch-predict`, {
      method: 'POST',
      headers: auth(screening),
      body: form('files', [
        { name: 'b0421.flac', bytes: sample('b0421') },
        { name: 'scan.png', bytes: PNG },
        { name: 'd0020.flac', bytes: sample('d0020') },
      ]),
    });
    const body = await response.json();
    expect(response.status).toBe(202);
    expect(body).toMatchObject({ total: 3, accepted: 2, rejected: 1, failed: 1, done: 1 });
    expect(
      body.files.map((f: { fileName: string; status: string; code?: string }) => [
        f.fileName,
        f.status,
        f.code,
      ]),
    ).toEqual([
      ['b0421.flac', 'queued', undefined],
      ['scan.png', 'rejected', 'UNSUPPORTED_FORMAT'],
      ['d0020.flac', 'queued', undefined],
    ]);
    for (const file of body.files.filter((f: { status: string }) => f.status === 'queued')) {
      const job = await queue.getJob(file.predictionId);
      expect(job?.data).toMatchObject({
        predictionId: file.predictionId,
        recordingId: file.recordingId,
        batchId: body.batchId,
        storageKey: `recordings/${file.sha256}`,
      });
    }
    const status = await (
      await fetch(`${gateway.base}${body.statusUrl}`, { headers: auth(screening) })
    ).json();
    expect(status).toMatchObject({
      batchId: body.batchId,
      total: 3,
      done: 1,
      failed: 1,
      pending: 2,
      status: 'running',
    });
    const results = await (
      await fetch(`${gateway.base}${body.resultsUrl}`, { headers: auth(screening) })
    ).json();
    expect(results.items).toHaveLength(2);
    expect(results.rejected).toEqual([
      expect.objectContaining({ fileName: 'scan.png', code: 'UNSUPPORTED_FORMAT' }),
    ]);
  });

  it('queues each recording while the rest of the batch still uploads, and completes only once the upload ended', async () => {
    const overlap = await start({ RATE_LIMIT_PER_MINUTE: '100000' });
    const key = (await overlap.app.get(ApiKeysService).create({ role: 'screening', name: 'overlap' })).secret;
    const predictions = overlap.app.get(PredictionsRepository);
    const batches = overlap.app.get(BatchesRepository);
    const screening = overlap.app.get(ScreeningRepository);
    const screened: string[] = [];
    // A stand-in inference worker: completes the prediction and counts it in its batch, as the real one does.
    const worker: JobWorker<'predictions'> = createWorker(
      QUEUE_NAMES.predictions,
      async (payload): Promise<PredictionResult> => {
        await screening.completePrediction(payload.predictionId!, payload.batchId!, {
          label: 'normal',
          probability: 0.1,
          windowScores: [],
          qualityScore: 0.9,
          modelVersion: '1.0.0',
          latencyMs: 1,
        });
        screened.push(payload.predictionId!);
        return {
          status: 'succeeded',
          label: 'normal',
          probability: 0.1,
          quality: 0.9,
          windows: [],
          modelVersion: '1.0.0',
          latencyMs: 1,
        };
      },
      { connection: { redisUrl: overlap.config.redis.url, prefix: overlap.config.queue.prefix } },
    );
    const boundary = 'overlap-test-boundary';
    const headers = (name: string) =>
      `Content-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: audio/flac\r\n\r\n`;
    let sendTheRest!: () => void;
    const rest = new Promise<void>((resolve) => (sendTheRest = resolve));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        // The first file and the start of the next part's delimiter, so the first file visibly ends.
        controller.enqueue(
          Buffer.concat([
            Buffer.from(`--${boundary}\r\n${headers('b0421.flac')}`),
            sample('b0421'),
            Buffer.from(`\r\n--${boundary}\r\n`),
          ]),
        );
        await rest;
        controller.enqueue(
          Buffer.concat([
            Buffer.from(headers('d0020.flac')),
            sample('d0020'),
            Buffer.from(`\r\n--${boundary}--\r\n`),
          ]),
        );
        controller.close();
      },
    });
    try {
      const posting = fetch(`${overlap.base}/api/v1/batches`, {
        method: 'POST',
        headers: { ...auth(key), 'Content-Type': `multipart/form-data; boundary=${boundary}` },
        body,
        duplex: 'half',
      } as RequestInit);
      for (let i = 0; i < 300 && screened.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(screened).toHaveLength(1);
      const midUpload = (await batches.findById((await predictions.findById(screened[0]!))!.batchId!))!;
      expect(midUpload).toMatchObject({
        status: 'receiving',
        totalCount: 1,
        succeededCount: 1,
        finishedAt: null,
      });

      sendTheRest();
      const response = await posting;
      const created = await response.json();
      expect(response.status).toBe(202);
      expect(created).toMatchObject({ batchId: midUpload.id, total: 2, accepted: 2 });
      let status = created;
      for (let i = 0; i < 300 && status.status !== 'completed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = await (await fetch(`${overlap.base}${created.statusUrl}`, { headers: auth(key) })).json();
      }
      expect(status).toMatchObject({ status: 'completed', total: 2, done: 2, succeeded: 2 });
    } finally {
      sendTheRest();
      await worker.close();
      await overlap.app.close();
    }
  });

  it('creates nothing new when a POST is retried with the same Idempotency-Key', async () => {
    const recordings = gateway.app.get(RecordingsRepository);
    const predictions = gateway.app.get(PredictionsRepository);
    const send = () =>
      fetch(`${gateway.base}/api/v1/batches`, {
        method: 'POST',
        headers: { ...auth(screening), 'Idempotency-Key': 'retry-me-1' },
        body: form('files', [
          { name: 'c0006.flac', bytes: sample('c0006') },
          { name: 'c0008.flac', bytes: sample('c0008') },
        ]),
      });
    const first = await send();
    const firstBody = await first.json();
    const counts = async () => [
      (await recordings.list()).total,
      (await predictions.list()).total,
      await queue.count(),
    ];
    const before = await counts();
    const again = await send();
    const againBody = await again.json();
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(againBody.batchId).toBe(firstBody.batchId);
    expect(againBody.files).toEqual(firstBody.files);
    expect(await counts()).toEqual(before);
  });

  it('returns the same batch from the database when the stored response is gone', async () => {
    const redis = new Redis(gateway.config.redis.url);
    const send = () =>
      fetch(`${gateway.base}/api/v1/batches`, {
        method: 'POST',
        headers: { ...auth(screening), 'Idempotency-Key': 'retry-me-2' },
        body: form('files', [{ name: 'd0051.flac', bytes: sample('d0051') }]),
      });
    const first = await (await send()).json();
    for (const key of await redis.keys(`${gateway.config.queue.prefix}:gateway:idempotency:*`))
      await redis.del(key);
    redis.disconnect();
    const predictionsBefore = (await gateway.app.get(PredictionsRepository).list({ batchId: first.batchId }))
      .total;
    const again = await (await send()).json();
    expect(again.batchId).toBe(first.batchId);
    expect((await gateway.app.get(PredictionsRepository).list({ batchId: first.batchId })).total).toBe(
      predictionsBefore,
    );
  });

  it('creates a batch from keys already in the bucket and rejects a missing key alone', async () => {
    const storage = gateway.app.get(ObjectStorage);
    await storage.putAt('incoming/int/e00001.flac', sample('a0114'));
    const response = await fetch(`${gateway.base}/api/v1/batches`, {
      method: 'POST',
      headers: { ...auth(screening), 'Content-Type': 'application/json' },
      body: JSON.stringify({ keys: ['incoming/int/e00001.flac', 'incoming/int/missing.flac'] }),
    });
    const body = await response.json();
    expect(response.status).toBe(202);
    expect(
      body.files.map((f: { fileName: string; status: string; code?: string }) => [
        f.fileName,
        f.status,
        f.code,
      ]),
    ).toEqual([
      ['e00001.flac', 'queued', undefined],
      ['missing.flac', 'rejected', 'OBJECT_NOT_FOUND'],
    ]);
    const job = await queue.getJob(body.files[0].predictionId);
    expect(job?.data.storageKey).toBe('incoming/int/e00001.flac');
  });

  it('refuses a JSON body without keys with 400 VALIDATION_FAILED', async () => {
    const response = await fetch(`${gateway.base}/api/v1/batches`, {
      method: 'POST',
      headers: { ...auth(screening), 'Content-Type': 'application/json' },
      body: JSON.stringify({ keys: [] }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe('VALIDATION_FAILED');
  });

  it('refuses more files than MAX_BATCH_FILES with 413 TOO_MANY_FILES', async () => {
    const small = await start({ MAX_BATCH_FILES: '2' });
    try {
      const key = (await small.app.get(ApiKeysService).create({ role: 'screening', name: 'too-many' }))
        .secret;
      const files = ['b0421', 'b0427', 'd0020'].map((name) => ({
        name: `${name}.flac`,
        bytes: sample(name),
      }));
      const response = await fetch(`${small.base}/api/v1/batches`, {
        method: 'POST',
        headers: auth(key),
        body: form('files', files),
      });
      expect(response.status).toBe(413);
      expect((await response.json()).code).toBe('TOO_MANY_FILES');
    } finally {
      await small.app.close();
    }
  });

  it('serves results as CSV with ?format=csv and with Accept: text/csv', async () => {
    const created = await (
      await fetch(`${gateway.base}/api/v1/batches`, {
        method: 'POST',
        headers: auth(screening),
        body: form('files', [
          { name: 'b0427.flac', bytes: sample('b0427') },
          { name: 'x.png', bytes: PNG },
        ]),
      })
    ).json();
    const predictionId = created.files[0].predictionId;
    await gateway.app.get(ScreeningRepository).completePrediction(predictionId, created.batchId, {
      label: 'normal',
      probability: 0.2,
      windowScores: [],
      qualityScore: 0.9,
      modelVersion: '1.0.0',
      latencyMs: 3,
    });
    const byQuery = await fetch(`${gateway.base}${created.resultsUrl}?format=csv`, {
      headers: auth(screening),
    });
    const byAccept = await fetch(`${gateway.base}${created.resultsUrl}`, {
      headers: { ...auth(screening), Accept: 'text/csv' },
    });
    const csv = await byQuery.text();
    expect(byQuery.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await byAccept.text()).toBe(csv);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'prediction_id,recording_id,file_name,status,label,probability,quality,model_version,error_code,error_message,created_at,completed_at',
    );
    expect(lines[1]).toMatch(
      new RegExp(`^${predictionId},[0-9a-f-]{36},b0427.flac,succeeded,normal,0.2,0.9,1.0.0,,,`),
    );
    expect(lines[2]).toMatch(/^,,x.png,rejected,,,,,UNSUPPORTED_FORMAT,/);
    const status = await (
      await fetch(`${gateway.base}${created.statusUrl}`, { headers: auth(screening) })
    ).json();
    expect(status).toMatchObject({ status: 'completed', done: 2, succeeded: 1, failed: 1, progress: 1 });
  });

  it('answers 404 BATCH_NOT_FOUND for an unknown batch and 400 for an id that is not a UUID', async () => {
    const unknown = await fetch(`${gateway.base}/api/v1/batches/00000000-0000-4000-8000-000000000000`, {
      headers: auth(screening),
    });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe('BATCH_NOT_FOUND');
    const malformed = await fetch(`${gateway.base}/api/v1/batches/nope`, { headers: auth(screening) });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).code).toBe('VALIDATION_FAILED');
  });
});

describe('recordings, dead letters, model metrics and visualizations', () => {
  it('redirects a recording download to a presigned URL that serves the bytes, or returns it as JSON', async () => {
    const created = await (
      await fetch(`${gateway.base}/api/v1/batches`, {
        method: 'POST',
        headers: auth(screening),
        body: form('files', [{ name: 'b0421.flac', bytes: sample('b0421') }]),
      })
    ).json();
    const url = `${gateway.base}/api/v1/recordings/${created.files[0].recordingId}/download`;
    const redirect = await fetch(url, { headers: auth(screening), redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const bytes = Buffer.from(await (await fetch(redirect.headers.get('location')!)).arrayBuffer());
    expect(bytes.equals(sample('b0421'))).toBe(true);
    const json = await (await fetch(`${url}?format=json`, { headers: auth(screening) })).json();
    expect(json).toMatchObject({ fileName: 'b0421.flac', url: expect.stringContaining('X-Amz-Signature') });
  });

  it('lists exhausted jobs of the dead-letter queue for admins', async () => {
    const deadLetter = createQueue(QUEUE_NAMES.deadLetter, {
      redisUrl: gateway.config.redis.url,
      prefix: gateway.config.queue.prefix,
    });
    await deadLetter.add({
      queue: 'predictions',
      jobId: 'job-1',
      jobName: 'predictions',
      payload: { recordingId: 'r' },
      failedReason: 'S3 down',
      attemptsMade: 3,
      failedAt: new Date().toISOString(),
    });
    await deadLetter.close();
    const body = await (await fetch(`${gateway.base}/api/v1/dead-letter`, { headers: auth(admin) })).json();
    expect(body.total).toBe(1);
    expect(body.items[0]).toMatchObject({ jobId: 'job-1', failedReason: 'S3 down', attemptsMade: 3 });
  });

  it("serves the promoted model's metrics on GET /metrics, 404 NO_PROMOTED_MODEL before", async () => {
    const versions = gateway.app.get(ModelVersionsRepository);
    const promoted = await versions.findPromoted();
    if (!promoted) {
      const none = await fetch(`${gateway.base}/metrics`, { headers: auth(screening) });
      expect(none.status).toBe(404);
      expect((await none.json()).code).toBe('NO_PROMOTED_MODEL');
      await versions.create({
        version: '0.9.1-int',
        metrics: { macc: 0.81, sensitivity: 0.8, specificity: 0.82 },
      });
      await versions.promote('0.9.1-int');
    }
    try {
      const current = (await versions.findPromoted())!;
      const body = await (await fetch(`${gateway.base}/metrics`, { headers: auth(screening) })).json();
      expect(body).toMatchObject({
        modelVersion: current.version,
        status: 'promoted',
        metrics: current.metrics,
        ...current.metrics,
      });
    } finally {
      // A version without artifacts must not stay promoted: a worker would try to load it.
      if (!promoted) await versions.setStatus('0.9.1-int', 'retired', 'integration test of GET /metrics');
    }
  });

  it('pages prediction history, 100 by default, filtered by label and batch', async () => {
    const history = await (
      await fetch(`${gateway.base}/visualizations/prediction-history`, { headers: auth(screening) })
    ).json();
    expect(history.limit).toBe(100);
    expect(history.total).toBeGreaterThan(0);
    const normal = await (
      await fetch(`${gateway.base}/visualizations/prediction-history?label=normal&limit=5`, {
        headers: auth(screening),
      })
    ).json();
    expect(normal.items.length).toBeGreaterThan(0);
    expect(normal.items.every((p: { label: string }) => p.label === 'normal')).toBe(true);
    const future = await (
      await fetch(`${gateway.base}/visualizations/prediction-history?from=2100-01-01T00:00:00Z`, {
        headers: auth(screening),
      })
    ).json();
    expect(future.total).toBe(0);
    const bad = await fetch(`${gateway.base}/visualizations/prediction-history?label=maybe`, {
      headers: auth(screening),
    });
    expect(bad.status).toBe(400);
  });

  it('counts training samples and predictions by label', async () => {
    const body = await (
      await fetch(`${gateway.base}/visualizations/class-distribution`, { headers: auth(screening) })
    ).json();
    expect(body.training).toEqual({
      normal: expect.any(Number),
      abnormal: expect.any(Number),
      total: expect.any(Number),
    });
    expect(body.predictions.normal).toBeGreaterThanOrEqual(1);
  });
});

describe('Prometheus metrics', () => {
  it('serves request, upload, batch and queue metrics on the metrics port', async () => {
    const port = await gateway.app.get(GatewayTelemetry).start(0, '127.0.0.1');
    await fetch(`${gateway.base}/api/v1/batches`, {
      method: 'POST',
      headers: auth(screening),
      body: form('files', [{ name: 'b0427.flac', bytes: sample('b0427') }]),
    });
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toMatch(
      /heartbeat_gateway_http_requests_total\{route="\/api\/v1\/batches",method="POST",status="202",service="gateway"\} [1-9]/,
    );
    expect(text).toMatch(
      /heartbeat_gateway_http_request_duration_seconds_bucket\{le="\+Inf",service="gateway",route="\/predict",method="POST"\} [1-9]/,
    );
    expect(text).toMatch(/heartbeat_gateway_upload_bytes_total\{service="gateway"\} [1-9]/);
    expect(text).toMatch(
      /heartbeat_gateway_uploaded_files_total\{outcome="rejected",service="gateway"\} [1-9]/,
    );
    expect(text).toMatch(/heartbeat_gateway_batches_created_total\{service="gateway"\} [1-9]/);
    expect(text).toMatch(
      /heartbeat_gateway_predictions_queued_total\{source="batch",service="gateway"\} [1-9]/,
    );
    expect(text).toMatch(/heartbeat_gateway_queue_jobs\{state="waiting",service="gateway"\} [1-9]/);
    expect(text).toMatch(/heartbeat_gateway_queue_jobs\{state="active",service="gateway"\} 0/);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
  });
});

describe('rate limit, errors and documentation', () => {
  it('answers 429 with Retry-After once a key has spent its budget', async () => {
    const limited = await start({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const key = (await limited.app.get(ApiKeysService).create({ role: 'screening', name: 'limited' }))
        .secret;
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${limited.base}/visualizations/class-distribution`, { headers: auth(key) });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await last!.json()).code).toBe('RATE_LIMITED');
    } finally {
      await limited.app.close();
    }
  });

  it('answers an unknown route with 404 and a code', async () => {
    const response = await fetch(`${gateway.base}/nowhere`, { headers: auth(screening) });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('serves Swagger UI at /docs and the OpenAPI document with every endpoint', async () => {
    expect((await fetch(`${gateway.base}/docs`)).status).toBe(200);
    const document = await (await fetch(`${gateway.base}/docs/openapi.json`)).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/predict',
        '/batch-predict',
        '/metrics',
        '/visualizations/prediction-history',
        '/api/v1/batches',
        '/api/v1/batches/{id}/results',
        '/api/v1/recordings/{id}/download',
        '/api/v1/dead-letter',
      ]),
    );
    expect(document.components.schemas.BatchCreatedDto.properties.files).toBeDefined();
  });

  it('serves the OpenAPI document the API client types were generated from (npm run api-client:generate)', async () => {
    const served = await (await fetch(`${gateway.base}/docs/openapi.json`)).json();
    const committed = JSON.parse(
      readFileSync(path.join(ROOT, 'libs/api-client/src/generated/openapi.json'), 'utf8'),
    );
    expect(served).toEqual(committed);
  });

  it('publishes an OpenAPI document that passes redocly lint without errors, every operation saying who may call it', async () => {
    const document = await (await fetch(`${gateway.base}/docs/openapi.json`)).json();
    const operations = Object.values(
      document.paths as Record<
        string,
        Record<string, { security?: unknown[]; 'x-heartbeat-access'?: string }>
      >,
    ).flatMap((path) => Object.values(path));
    expect(
      operations.every((operation) =>
        ['public', 'read', 'recording', 'screening', 'admin'].includes(operation['x-heartbeat-access']!),
      ),
    ).toBe(true);
    expect(
      operations
        .filter((operation) => operation.security?.length === 0)
        .map((operation) => operation['x-heartbeat-access']),
    ).toEqual(expect.arrayContaining(['public']));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'heartbeat-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const lint = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js'), 'lint', file, '--format=json'],
      {
        encoding: 'utf8',
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const report = JSON.parse(lint.stdout) as {
      totals: { errors: number };
      problems: { ruleId: string; severity: string; message: string }[];
    };
    expect(report.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
    expect(report.totals.errors).toBe(0);
  });
});

describe('while object storage or the database is out of reach', () => {
  let outage: Running;
  let s3Proxy: CuttableProxy;
  let databaseProxy: CuttableProxy;
  let redisProxy: CuttableProxy;

  beforeAll(async () => {
    const s3 = await CuttableProxy.inFrontOf(env.S3_ENDPOINT!);
    const database = await CuttableProxy.inFrontOf(env.DATABASE_URL!);
    const redis = await CuttableProxy.inFrontOf(env.REDIS_URL!);
    [s3Proxy, databaseProxy, redisProxy] = [s3.proxy, database.proxy, redis.proxy];
    outage = await start({
      S3_ENDPOINT: s3.url,
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      PREDICT_TIMEOUT_MS: '300',
      RATE_LIMIT_PER_MINUTE: '100000',
    });
  });

  afterAll(async () => {
    await s3Proxy?.restore();
    await databaseProxy?.restore();
    await redisProxy?.restore();
    await outage?.app.close();
    await s3Proxy?.cut();
    await databaseProxy?.cut();
    await redisProxy?.cut();
  });

  const predict = () =>
    fetch(`${outage.base}/predict`, {
      method: 'POST',
      headers: auth(screening),
      body: form('file', [{ name: 'b0421.flac', bytes: sample('b0421') }]),
    });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while object storage is unreachable, and accepts uploads once it is back', async () => {
    await s3Proxy.cut();
    const refused = await predict();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringContaining('cannot reach object storage'),
    });
    await s3Proxy.restore();
    expect((await predict()).status).toBe(202);
  });

  it('answers 503 SERVICE_UNAVAILABLE while the database is unreachable, and serves again once it is back', async () => {
    await databaseProxy.cut();
    const refused = await fetch(`${outage.base}/visualizations/prediction-history`, { headers: auth(admin) });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringContaining('cannot reach its database'),
    });
    await databaseProxy.restore();
    expect(
      (await fetch(`${outage.base}/visualizations/prediction-history`, { headers: auth(admin) })).status,
    ).toBe(200);
  });

  it('answers 503 SERVICE_UNAVAILABLE within seconds while Redis is unreachable, and queues again once it is back', async () => {
    await redisProxy.cut();
    const started = Date.now();
    const refused = await predict();
    const elapsed = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(elapsed).toBeLessThan(5_000);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringContaining('cannot reach its job queue (Redis)'),
    });
    await redisProxy.restore();
    expect((await predict()).status).toBe(202);
  });
});
