// Issue 6 on the real stack (Postgres, Redis, s3rver) with a tiny data set: labelled uploads through
// the gateway, a retrain on the training worker, the promotion policy, the inference worker serving
// the new version without restart, rollback, cancellation, and a worker killed mid-run.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import {
  AuditRepository,
  connectDatabase,
  modelVersions,
  ModelVersionsRepository,
  PredictionsRepository,
  RecordingsRepository,
  trainingRuns,
  TrainingRunsRepository,
  trainingSamples,
  type DatabaseConnection,
} from '@heartbeat/db';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { decidePromotion, ModelRegistry } from '@heartbeat/model-registry';
import { createQueue, QUEUE_NAMES, type JobQueue } from '@heartbeat/queue';
import { keyForSha256, ObjectStorage } from '@heartbeat/storage';
import { silentLogger } from '@heartbeat/telemetry';
import { Redis } from 'ioredis';
import { ApiKeysService } from '../../gateway/src/auth/api-keys.service';
import { createGatewayApp } from '../../gateway/src/gateway-app';
import {
  startInferenceWorker,
  type RunningInferenceWorker,
} from '../../inference-worker/src/inference-worker';
import { startTrainingWorker, type RunningTrainingWorker } from '../src/training-worker';
import { startService, waitFor, type ServiceProcess } from '../../../test/real-stack';
import { ownDatabaseEnv } from '../../../test/own-database';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(ROOT, 'libs/audio/test/fixtures');
const TINY = { epochs: 2, windowsPerEpoch: 32, batchSize: 16, blockFilters: [4, 4, 8, 8, 8], maxMinutes: 10 };
const BASE_VERSION = '5.0.0';

let env: Record<string, string>;
let config: Config;
let connection: DatabaseConnection;
let storage: ObjectStorage;
let redis: Redis;
let registry: ModelRegistry;
let gateway: NestExpressApplication;
let base: string;
let admin: string;
let screening: string;
let inference: RunningInferenceWorker;
let training: RunningTrainingWorker | undefined;
let predictions: JobQueue<'predictions'>;
let workDir: string;

/** A 6-s synthetic "heart sound": 1.2-Hz bursts of a 60-Hz tone, as a 16-bit mono WAV. */
function syntheticWav(seed: number): Buffer {
  const rate = 4000;
  const samples = rate * 6;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    const beat = (t * 1.2 + seed * 0.1) % 1;
    const envelope = beat < 0.08 ? Math.sin((Math.PI * beat) / 0.08) : 0;
    const noise = Math.sin(i * 12.9898 + seed) * 0.02;
    data.writeInt16LE(Math.round(12000 * (envelope * Math.sin(2 * Math.PI * 60 * t) + noise)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const json = (key: string) => ({ ...auth(key), 'Content-Type': 'application/json' });

async function trainingStatus() {
  const response = await fetch(`${base}/training-status`, { headers: auth(admin) });
  return (await response.json()) as {
    run: {
      id: string;
      status: string;
      progress: number;
      epoch: number | null;
      logTail: string[];
      error: string | null;
      metrics: Record<string, unknown>;
    } | null;
  };
}

async function retrain(params: Record<string, unknown>) {
  const response = await fetch(`${base}/retrain`, {
    method: 'POST',
    headers: json(admin),
    body: JSON.stringify({ params }),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string; status: string };
}

async function predictWith(fileName: string) {
  const bytes = await readFile(path.join(FIXTURES, fileName));
  const stored = await storage.putBuffer(bytes);
  const recording = await new RecordingsRepository(connection.db).create({
    storageKey: stored.key,
    sha256: stored.sha256,
    originalFileName: fileName,
    format: 'flac',
    sizeBytes: stored.size,
  });
  const prediction = await new PredictionsRepository(connection.db).create({ recordingId: recording.id });
  const job = await predictions.add({
    recordingId: recording.id,
    storageKey: stored.key,
    predictionId: prediction.id,
    requestedAt: new Date().toISOString(),
  });
  return predictions.waitForResult(job, 60_000);
}

beforeAll(async () => {
  const integrationEnv = await ownDatabaseEnv();
  workDir = await mkdtemp(path.join(tmpdir(), 'training-worker-int-'));
  env = {
    ...integrationEnv,
    QUEUE_PREFIX: `${integrationEnv.QUEUE_PREFIX}:training`,
    LOG_LEVEL: 'silent',
    INFERENCE_WORKER_METRICS_PORT: '0',
    TRAINING_WORKER_METRICS_PORT: '0',
    INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'model-cache'),
    INFERENCE_WORKER_ID: 'training-int-inference',
    MODEL_POLL_INTERVAL_MS: '60000',
    TRAINING_BASE_DATA_DIR: path.join(ROOT, 'samples'),
    TRAINING_WORK_DIR: path.join(workDir, 'training'),
    PROMOTION_MIN_MACC_GAIN: '0.01',
    PROMOTION_MAX_SENSITIVITY_DROP: '0.05',
    PUBLIC_READS: 'false',
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  config = loadConfig(env);
  connection = connectDatabase(config.db.url, { poolSize: 4 });
  await connection.db.delete(modelVersions);
  await connection.db.delete(trainingRuns);
  await connection.db.delete(trainingSamples);
  storage = ObjectStorage.fromSettings(config.s3);
  redis = new Redis(config.redis.url);
  registry = new ModelRegistry({
    modelVersions: new ModelVersionsRepository(connection.db),
    artifacts: storage,
    publisher: redis,
  });
  await registry.registerModelDirectory(
    // With a heart-cycle model, so the retrain (which keeps the serving model's weight) fits one too.
    await createUntrainedModelDirectory(path.join(workDir, BASE_VERSION), BASE_VERSION, {
      seed: 50,
      cycleModel: { logit: 0, weight: 0.25 },
    }),
    { status: 'promoted' },
  );
  gateway = await createGatewayApp(config, { logger: false });
  await gateway.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(gateway.getHttpServer().address() as AddressInfo).port}`;
  const keys = gateway.get(ApiKeysService);
  admin = (await keys.create({ role: 'admin', name: 'training-int-admin' })).secret;
  screening = (await keys.create({ role: 'screening', name: 'training-int-screening' })).secret;
  inference = await startInferenceWorker({
    config,
    logger: silentLogger(),
    bundledModelsRoot: path.join(workDir, 'none'),
  });
  predictions = createQueue(QUEUE_NAMES.predictions, {
    redisUrl: config.redis.url,
    prefix: config.queue.prefix,
  });
  training = await startTrainingWorker({ config, logger: silentLogger() });
});

afterAll(async () => {
  await training?.stop();
  await inference?.stop();
  await predictions?.bull.obliterate({ force: true }).catch(() => undefined);
  await predictions?.close();
  await gateway?.close();
  await connection.db.delete(modelVersions);
  await connection.db.delete(trainingRuns);
  redis.disconnect();
  storage.close();
  await connection.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('training data upload', () => {
  it('stores labelled recordings, reports duplicates by sha256 and rejects what is not audio', async () => {
    const form = new FormData();
    const add = (name: string, bytes: Buffer, label?: string) => {
      form.append('files', new Blob([new Uint8Array(bytes)]), name);
      if (label) form.append('labels', label);
    };
    add('a0238.flac', await readFile(path.join(FIXTURES, 'a0238.flac')), 'abnormal');
    add('b0225.flac', await readFile(path.join(FIXTURES, 'b0225.flac')), 'normal');
    add('e01440.flac', await readFile(path.join(FIXTURES, 'e01440.flac')), 'normal');
    add('synthetic.wav', syntheticWav(1), 'normal');
    add('again.flac', await readFile(path.join(FIXTURES, 'b0225.flac')), 'normal');
    add(
      'picture.png',
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]),
      'normal',
    );
    // A well-formed WAV of 1 s: stored while it streams in, then refused as too short and removed again.
    const short = syntheticWav(9).subarray(0, 44 + 8_000);
    short.writeUInt32LE(36 + 8_000, 4);
    short.writeUInt32LE(8_000, 40);
    add('short.wav', short, 'normal');
    const response = await fetch(`${base}/upload-training-data`, {
      method: 'POST',
      headers: auth(screening),
      body: form,
    });
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.accepted.map((f: { fileName: string }) => f.fileName)).toEqual([
      'a0238.flac',
      'b0225.flac',
      'e01440.flac',
      'synthetic.wav',
    ]);
    expect(body.duplicates).toMatchObject([{ fileName: 'again.flac' }]);
    expect(body.rejected).toMatchObject([
      { fileName: 'picture.png', code: 'UNSUPPORTED_FORMAT' },
      { fileName: 'short.wav', code: 'TOO_SHORT' },
    ]);
    expect(await storage.head(keyForSha256(createHash('sha256').update(short).digest('hex')))).toBeFalsy();
    expect(body.samples).toEqual({ normal: 3, abnormal: 1 });
  });

  it('labels every file from a manifest CSV and tags them with a site', async () => {
    const form = new FormData();
    form.append('site', 'hospital-a');
    form.append('manifest', new Blob(['file,label\nsynthetic-2.wav,abnormal\n']), 'labels.csv');
    form.append('files', new Blob([new Uint8Array(syntheticWav(2))]), 'synthetic-2.wav');
    const body = await (
      await fetch(`${base}/api/v1/training-data`, { method: 'POST', headers: auth(screening), body: form })
    ).json();
    expect(body.accepted).toMatchObject([
      { fileName: 'synthetic-2.wav', label: 'abnormal', site: 'hospital-a' },
    ]);
  });

  it('refuses a file without a label with 400 MISSING_LABEL', async () => {
    const form = new FormData();
    form.append('files', new Blob([new Uint8Array(syntheticWav(3))]), 'unlabelled.wav');
    const response = await fetch(`${base}/upload-training-data`, {
      method: 'POST',
      headers: auth(screening),
      body: form,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'MISSING_LABEL' });
  });
});

describe('retraining', () => {
  let runId: string;

  it('needs an admin key and refuses a second run while one is active', async () => {
    const forbidden = await fetch(`${base}/retrain`, {
      method: 'POST',
      headers: json(screening),
      body: '{}',
    });
    expect(forbidden.status).toBe(403);
    // Six times TINY's windows: the next test watches this run's progress, and on a fast machine a
    // TINY run ended after three polls of /training-status (CI, 2026-12-07 23:05).
    runId = (await retrain({ ...TINY, windowsPerEpoch: 192 })).id;
    const again = await fetch(`${base}/api/v1/training-runs`, {
      method: 'POST',
      headers: json(admin),
      body: '{}',
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'TRAINING_RUN_ACTIVE', details: { runId } });
  });

  it('reports progress that rises monotonically to 1 and ends with a candidate judged by the policy', async () => {
    const seen: number[] = [];
    const final = await waitFor(
      'the run to finish',
      async () => {
        const { run } = await trainingStatus();
        if (run?.id !== runId) return undefined;
        seen.push(run.progress);
        return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
      },
      { timeoutMs: 300_000, everyMs: 100 },
    );
    expect(final.error).toBeNull();
    expect(final.status).toBe('succeeded');
    expect(final.progress).toBe(1);
    expect(seen.length).toBeGreaterThan(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(final.logTail.some((line) => /epoch 2\/2 loss/.test(line))).toBe(true);

    const model = await (await fetch(`${base}/api/v1/models/5.1.0`, { headers: auth(admin) })).json();
    const evaluation = model.metrics.evaluation;
    expect(evaluation.fingerprint).toMatch(/^fnv1a32:/);
    expect(evaluation.promoted.version).toBe(BASE_VERSION);
    const expected = decidePromotion({
      candidate: { evaluationFingerprint: evaluation.fingerprint, ...evaluation.candidate },
      promoted: { evaluationFingerprint: evaluation.fingerprint, ...evaluation.promoted },
      margin: 0.01,
      maxSensitivityDrop: 0.05,
    });
    expect(model.status).toBe(expected.promote ? 'promoted' : 'rejected');
    expect(model.statusReason).toBe(expected.reason);
    expect(model.trainingRunId).toBe(runId);
    expect(Object.keys(model.artifactKeys)).toEqual(
      expect.arrayContaining(['onnx', 'tfjs', 'card', 'manifest', 'metrics', 'cycleModel']),
    );
  });

  it('serves the new version without restart once promoted (by the policy or an admin), and rolls back', async () => {
    const model = await (await fetch(`${base}/api/v1/models/5.1.0`, { headers: auth(admin) })).json();
    if (model.status !== 'promoted') {
      const promoted = await fetch(`${base}/api/v1/models/5.1.0/promote`, {
        method: 'POST',
        headers: json(admin),
        body: JSON.stringify({ reason: 'integration test override' }),
      });
      expect(promoted.status).toBe(200);
      const audit = await new AuditRepository(connection.db).list({
        action: 'model.promoted',
        subjectId: '5.1.0',
      });
      expect(audit.items[0]?.details).toMatchObject({ reason: 'integration test override' });
    }
    await waitFor(
      'the inference worker to serve 5.1.0',
      async () => (inference.modelVersion === '5.1.0' ? true : undefined),
      { timeoutMs: 60_000, everyMs: 50 },
    );
    expect(await predictWith('a0238.flac')).toMatchObject({ status: 'succeeded', modelVersion: '5.1.0' });

    const rollback = await fetch(`${base}/api/v1/models/rollback`, {
      method: 'POST',
      headers: json(admin),
      body: '{}',
    });
    expect(rollback.status).toBe(200);
    expect(await rollback.json()).toMatchObject({
      promoted: { version: BASE_VERSION },
      previousVersion: '5.1.0',
    });
    await waitFor(
      'the inference worker to serve 5.0.0 again',
      async () => (inference.modelVersion === BASE_VERSION ? true : undefined),
      { timeoutMs: 60_000, everyMs: 50 },
    );
    expect(await predictWith('b0225.flac')).toMatchObject({
      status: 'succeeded',
      modelVersion: BASE_VERSION,
    });

    const models = await (await fetch(`${base}/api/v1/models`, { headers: auth(admin) })).json();
    expect(models.items.map((m: { version: string }) => m.version)).toEqual(
      expect.arrayContaining(['5.0.0', '5.1.0']),
    );
    const retireServing = await fetch(`${base}/api/v1/models/${BASE_VERSION}/retire`, {
      method: 'POST',
      headers: json(admin),
      body: '{}',
    });
    expect(retireServing.status).toBe(409);
    const retire = await fetch(`${base}/api/v1/models/5.1.0/retire`, {
      method: 'POST',
      headers: json(admin),
      body: '{}',
    });
    expect(await retire.json()).toMatchObject({ version: '5.1.0', status: 'retired' });
  });

  it('cancels a running run between batches', async () => {
    const { id } = await retrain({ ...TINY, epochs: 200, patience: 200, windowsPerEpoch: 64 });
    await waitFor('the run to start training', async () => {
      const { run } = await trainingStatus();
      return run?.status === 'running' && run.progress > 0.05 ? true : undefined;
    });
    const cancel = await fetch(`${base}/api/v1/training-runs/${id}/cancel`, {
      method: 'POST',
      headers: json(admin),
      body: '{}',
    });
    expect(cancel.status).toBe(202);
    const ended = await waitFor(
      'the run to stop',
      async () => {
        const { run } = await trainingStatus();
        return run && run.status !== 'running' ? run : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(ended.status, JSON.stringify(ended)).toBe('cancelled');
  });
});

describe('site calibration', () => {
  it("fits a site's operating point on all its records, with no model version, or refuses it with a code", async () => {
    const created = await fetch(`${base}/api/v1/sites`, {
      method: 'POST',
      headers: json(admin),
      body: JSON.stringify({ name: 'clinic-b', device: 'synthetic' }),
    });
    expect(created.status).toBe(201);
    for (const [label, seeds] of [
      ['normal', [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 30, 31]],
      ['abnormal', [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 32, 33]],
    ] as const) {
      const form = new FormData();
      form.append('site', 'clinic-b');
      form.append('label', label);
      for (const seed of seeds)
        form.append('files', new Blob([new Uint8Array(syntheticWav(seed))]), `${label}-${seed}.wav`);
      expect(
        (
          await fetch(`${base}/upload-training-data`, {
            method: 'POST',
            headers: auth(screening),
            body: form,
          })
        ).status,
      ).toBe(200);
    }
    const versionsBefore = (await (await fetch(`${base}/api/v1/models`, { headers: auth(admin) })).json())
      .items.length;

    const response = await fetch(`${base}/api/v1/sites/clinic-b/calibrations`, {
      method: 'POST',
      headers: json(admin),
      body: '{}',
    });
    expect(response.status).toBe(202);
    const { id } = await response.json();
    const ended = await waitFor(
      'the calibration to end',
      async () => {
        const { run } = await trainingStatus();
        return run && run.id === id && run.status !== 'running' && run.status !== 'queued' ? run : undefined;
      },
      { timeoutMs: 120_000 },
    );

    // The untrained model's ranking of synthetic recordings decides which; both must be complete.
    const history = await (
      await fetch(`${base}/api/v1/sites/clinic-b/calibrations`, { headers: auth(admin) })
    ).json();
    expect(history.items).toHaveLength(1);
    const [attempt] = history.items;
    expect(attempt).toMatchObject({
      baseModelVersion: BASE_VERSION,
      records: { normal: 12, abnormal: 12 },
      trainingRunId: id,
    });
    if (ended.status === 'succeeded') {
      expect(attempt.status).toBe('active');
      expect(attempt.decision.threshold).toBeGreaterThan(0);
      expect(attempt.local.sensitivity).toBeGreaterThanOrEqual(attempt.local.targetSensitivity);
      expect(ended.metrics).toMatchObject({
        site: 'clinic-b',
        calibrationId: attempt.id,
        records: 24,
        uploaded: 24,
      });
      const site = await (await fetch(`${base}/api/v1/sites/clinic-b`, { headers: auth(admin) })).json();
      expect(site).toMatchObject({
        status: 'calibrated',
        records: { normal: 12, abnormal: 12 },
        calibration: { id: attempt.id },
      });
    } else {
      expect(ended.status).toBe('failed');
      expect(attempt.status).toBe('refused');
      expect(attempt.refusal.code).toMatch(/^SITE_RANKING_(INVERTED|TOO_WEAK)$/);
      expect(ended.error).toMatch(new RegExp(`^${attempt.refusal.code}: `));
      const active = await fetch(`${base}/api/v1/sites/clinic-b/calibration`, { headers: auth(admin) });
      expect(active.status).toBe(404);
      expect(await active.json()).toMatchObject({
        code: 'SITE_NOT_CALIBRATED',
        details: { lastAttempt: { id: attempt.id } },
      });
    }
    // A site calibration is not a model version: the registry is unchanged.
    expect(
      (await (await fetch(`${base}/api/v1/models`, { headers: auth(admin) })).json()).items,
    ).toHaveLength(versionsBefore);
  });
});

describe('a training worker killed mid-run', () => {
  let child: ServiceProcess | undefined;
  afterAll(() => child?.stop('SIGKILL'));

  it('ends in a resumed, finished run or a run failed with a reason, never stuck running', async () => {
    await training?.stop();
    training = undefined;
    child = startService('training-worker', 'apps/training-worker/src/main.ts', env, {
      keepOutputChars: 20_000,
    });
    const { id } = await retrain({ ...TINY, epochs: 4, windowsPerEpoch: 96 });
    const runs = new TrainingRunsRepository(connection.db);
    await waitFor(
      'the first checkpoint',
      async () => ((await runs.findById(id))?.checkpointKey ? true : undefined),
      { timeoutMs: 240_000, services: [child] },
    );
    await child.stop('SIGKILL');
    expect((await runs.findById(id))?.status).toBe('running');

    training = await startTrainingWorker({ config, logger: silentLogger() });
    const ended = await waitFor(
      'the run to end',
      async () => {
        const run = await runs.findById(id);
        return run && run.status !== 'running' && run.status !== 'queued' ? run : undefined;
      },
      { timeoutMs: 240_000, everyMs: 500 },
    );
    expect(['succeeded', 'failed']).toContain(ended.status);
    if (ended.status === 'failed') expect(ended.error).toBeTruthy();
    else expect(ended.log).toMatch(/resuming after epoch \d\/4/);
    // Its two waits may take 240 s each on a loaded machine; the project's 120-s default is less.
  }, 540_000);
});
