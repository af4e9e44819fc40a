// Site operating points on the real stack (Postgres, Redis, s3rver): the gateway in-process and one
// inference worker process (in-process too), untrained model versions in the registry. Sites'
// calibrations are written as the training worker writes them (its fit is tested in the training
// worker's tests); this checks that requests name their site and get its decision, in one worker
// process, with no model swap, and that promotion keeps each site's calibration.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import {
  connectDatabase,
  ModelVersionsRepository,
  PredictionsRepository,
  SitesRepository,
  type DatabaseConnection,
  type SiteCalibration,
} from '@heartbeat/db';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { ModelRegistry } from '@heartbeat/model-registry';
import { SITE_CALIBRATION_CHANGED_CHANNEL } from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { silentLogger } from '@heartbeat/telemetry';
import {
  startInferenceWorker,
  type RunningInferenceWorker,
} from '../../inference-worker/src/inference-worker';
import { ApiKeysService } from './auth/api-keys.service';
import { createGatewayApp } from './gateway-app';
import { waitFor } from '../../../test/real-stack';
import { ownDatabaseEnv } from '../../../test/own-database';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(ROOT, 'libs/audio/test/fixtures');
const BASE = '7.0.0';
const NEXT = '7.1.0';

let config: Config;
let connection: DatabaseConnection;
let storage: ObjectStorage;
let redis: Redis;
let app: NestExpressApplication;
let worker: RunningInferenceWorker;
let base: string;
let admin: string;
let screening: string;
let workDir: string;
let sites: SitesRepository;
const calibrations: Record<string, SiteCalibration> = {};

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const json = (key: string) => ({ ...auth(key), 'Content-Type': 'application/json' });
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

interface PredictBody {
  status: string;
  label: string;
  probability: number;
  threshold: number | null;
  site: string | null;
  calibrationId: string | null;
  modelVersion: string;
  code?: string;
}

async function predict(
  options: { key?: string; header?: string; field?: string; file?: string } = {},
): Promise<{ status: number; body: PredictBody }> {
  const form = new FormData();
  if (options.field) form.append('site', options.field);
  form.append(
    'file',
    new Blob([new Uint8Array(await fixture(options.file ?? 'a0238.flac'))]),
    options.file ?? 'a0238.flac',
  );
  const headers: Record<string, string> = auth(options.key ?? screening);
  if (options.header) headers['X-HeartBeat-Site'] = options.header;
  const response = await fetch(`${base}/predict`, { method: 'POST', headers, body: form });
  return { status: response.status, body: (await response.json()) as PredictBody };
}

async function modelSwaps(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.telemetryPort}/metrics`)).text();
  return Number(/^heartbeat_model_swaps_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 'NaN');
}

/** A 6-s WAV of 60-Hz bursts (a stand-in heart sound), different for each seed. */
function syntheticWav(seed: number): Buffer {
  const rate = 4000;
  const samples = rate * 6;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    const beat = (t * 1.2 + seed * 0.1) % 1;
    const envelope = beat < 0.08 ? Math.sin((Math.PI * beat) / 0.08) : 0;
    data.writeInt16LE(
      Math.round(12000 * (envelope * Math.sin(2 * Math.PI * 60 * t) + Math.sin(i * 12.9898 + seed) * 0.02)),
      i * 2,
    );
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

async function uploadTraining(site: string, label: string, files: { name: string; bytes: Buffer }[]) {
  const form = new FormData();
  form.append('site', site);
  form.append('label', label);
  for (const file of files) form.append('files', new Blob([new Uint8Array(file.bytes)]), file.name);
  const response = await fetch(`${base}/api/v1/training-data`, {
    method: 'POST',
    headers: auth(screening),
    body: form,
  });
  expect(response.status).toBe(200);
  return response.json() as Promise<{
    accepted: { fileName: string; site: string }[];
    duplicates: unknown[];
  }>;
}

async function createSite(name: string, extra: Record<string, string> = {}) {
  const response = await fetch(`${base}/api/v1/sites`, {
    method: 'POST',
    headers: json(admin),
    body: JSON.stringify({ name, ...extra }),
  });
  expect(response.status).toBe(201);
  return response.json();
}

/** What the training worker stores for a fitted site (see TrainingRunService.calibrateSite). */
function fitted(siteId: string, decision: { slope: number; intercept: number; threshold: number }) {
  return {
    siteId,
    status: 'active' as const,
    baseModelVersion: BASE,
    ...decision,
    normalRecords: 15,
    abnormalRecords: 15,
    metrics: {
      sensitivity: 0.933,
      specificity: 0.6,
      sensitivityLowerBound: 0.74,
      specificityLowerBound: 0.39,
      auc: 0.8,
      aucLowerBound: 0.66,
      targetSensitivity: 0.82,
      modelSensitivity: 1,
      modelSpecificity: 0.07,
    },
  };
}

beforeAll(async () => {
  const integrationEnv = await ownDatabaseEnv();
  workDir = await mkdtemp(path.join(tmpdir(), 'sites-int-'));
  const env = {
    ...integrationEnv,
    QUEUE_PREFIX: `${integrationEnv.QUEUE_PREFIX}:sites`,
    LOG_LEVEL: 'silent',
    INFERENCE_WORKER_METRICS_PORT: '0',
    INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'model-cache'),
    INFERENCE_WORKER_ID: 'sites-int-worker',
    MODEL_POLL_INTERVAL_MS: '60000',
    PREDICT_TIMEOUT_MS: '30000',
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  config = loadConfig(env);
  connection = connectDatabase(config.db.url, { poolSize: 4 });
  storage = ObjectStorage.fromSettings(config.s3);
  redis = new Redis(config.redis.url);
  const registry = new ModelRegistry({
    modelVersions: new ModelVersionsRepository(connection.db),
    artifacts: storage,
    publisher: redis,
  });
  await registry.registerModelDirectory(
    await createUntrainedModelDirectory(path.join(workDir, BASE), BASE, { seed: 70 }),
    { status: 'promoted' },
  );
  await registry.registerModelDirectory(
    await createUntrainedModelDirectory(path.join(workDir, NEXT), NEXT, { seed: 71 }),
  );
  app = await createGatewayApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const keys = app.get(ApiKeysService);
  admin = (await keys.create({ role: 'admin', name: 'sites-int-admin' })).secret;
  screening = (await keys.create({ role: 'screening', name: 'sites-int-screening' })).secret;
  worker = await startInferenceWorker({
    config,
    logger: silentLogger(),
    bundledModelsRoot: path.join(workDir, 'none'),
  });

  sites = new SitesRepository(connection.db);
  const lenient = await createSite('ward-lenient', { device: 'Littmann 3200', owner: 'ward 1' });
  await createSite('ward-strict', { device: 'Eko Duo' });
  expect(lenient).toMatchObject({ name: 'ward-lenient', status: 'uncalibrated', calibration: null });
  const ids = {
    lenient: (await sites.findByName('ward-lenient'))!.id,
    strict: (await sites.findByName('ward-strict'))!.id,
  };
  calibrations.lenient = await sites.recordCalibration(
    fitted(ids.lenient, { slope: 1, intercept: 3, threshold: 0.001 }),
  );
  calibrations.strict = await sites.recordCalibration(
    fitted(ids.strict, { slope: 1, intercept: -3, threshold: 0.999 }),
  );
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  redis?.disconnect();
  storage?.close();
  await connection?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('site operating points', () => {
  it('two sites screen the same recording in one worker process and get their own decisions, with no model swap', async () => {
    const swapsBefore = await modelSwaps();
    expect(swapsBefore).toBeGreaterThanOrEqual(0);
    const lenient = await predict({ header: 'ward-lenient' });
    const strict = await predict({ field: 'ward-strict' });
    const own = await predict();
    expect(lenient.status, JSON.stringify(lenient.body)).toBe(200);
    expect(strict.status, JSON.stringify(strict.body)).toBe(200);
    expect(own.status, JSON.stringify(own.body)).toBe(200);

    expect(lenient.body).toMatchObject({
      site: 'ward-lenient',
      calibrationId: calibrations.lenient!.id,
      threshold: 0.001,
      label: 'abnormal',
      modelVersion: BASE,
    });
    expect(strict.body).toMatchObject({
      site: 'ward-strict',
      calibrationId: calibrations.strict!.id,
      threshold: 0.999,
      label: 'normal',
      modelVersion: BASE,
    });
    // The promoted model's own decision: no site, its own threshold, its own probability between the two.
    expect(own.body).toMatchObject({ site: null, calibrationId: null, threshold: 0.5, modelVersion: BASE });
    expect(strict.body.probability).toBeLessThan(own.body.probability);
    expect(own.body.probability).toBeLessThan(lenient.body.probability);
    const logit = (p: number) => Math.log(p / (1 - p));
    expect(logit(lenient.body.probability)).toBeCloseTo(logit(own.body.probability) + 3, 4);

    expect(worker.modelVersion).toBe(BASE);
    expect(await modelSwaps()).toBe(swapsBefore);
    const stored = await (
      await fetch(`${base}/api/v1/predictions/${(lenient.body as unknown as { id: string }).id}`, {
        headers: auth(screening),
      })
    ).json();
    expect(stored).toMatchObject({
      site: 'ward-lenient',
      calibrationId: calibrations.lenient!.id,
      threshold: 0.001,
    });
  });

  it("uses the API key's default site when a request names none", async () => {
    const ward = await app.get(ApiKeysService).create({ role: 'screening', name: 'ward-strict-cart' });
    const set = await fetch(`${base}/api/v1/api-keys/${ward.apiKey.id}/site`, {
      method: 'PUT',
      headers: json(admin),
      body: JSON.stringify({ site: 'ward-strict' }),
    });
    expect(set.status).toBe(200);
    const result = await predict({ key: ward.secret });
    expect(result.body).toMatchObject({
      site: 'ward-strict',
      calibrationId: calibrations.strict!.id,
      label: 'normal',
    });
    // A site named in the request wins over the key's default.
    expect((await predict({ key: ward.secret, header: 'ward-lenient' })).body).toMatchObject({
      site: 'ward-lenient',
      label: 'abnormal',
    });
  });

  it('names the site of every recording of a batch, from the multipart field or the JSON body', async () => {
    const form = new FormData();
    form.append('site', 'ward-lenient');
    for (const name of ['a0238.flac', 'b0225.flac'])
      form.append('files', new Blob([new Uint8Array(await fixture(name))]), name);
    const created = await fetch(`${base}/batch-predict`, {
      method: 'POST',
      headers: auth(screening),
      body: form,
    });
    expect(created.status).toBe(202);
    const { batchId } = (await created.json()) as { batchId: string };
    const results = await waitFor('the batch', async () => {
      const page = (await (
        await fetch(`${base}/api/v1/batches/${batchId}/results`, { headers: auth(screening) })
      ).json()) as { batch: { status: string }; items: PredictBody[] };
      return page.batch.status === 'completed' ? page.items : undefined;
    });
    expect(results).toHaveLength(2);
    for (const item of results)
      expect(item).toMatchObject({
        status: 'succeeded',
        site: 'ward-lenient',
        calibrationId: calibrations.lenient!.id,
        label: 'abnormal',
      });
    // The rows keep the site the request named, so a job queued again (stale-upload sweep, retried submission) keeps it too.
    const rows = await new PredictionsRepository(connection.db).list({ batchId }, { limit: 10 });
    expect(rows.items.map((row) => row.requestedSite)).toEqual(['ward-lenient', 'ward-lenient']);

    const stored = await storage.putBuffer(await fixture('e01440.flac'));
    const byKeys = await fetch(`${base}/api/v1/batches`, {
      method: 'POST',
      headers: json(screening),
      body: JSON.stringify({ keys: [stored.key], site: 'ward-strict' }),
    });
    expect(byKeys.status).toBe(202);
    const keysBatch = (await byKeys.json()) as { batchId: string };
    const [item] = await waitFor('the keys batch', async () => {
      const page = (await (
        await fetch(`${base}/api/v1/batches/${keysBatch.batchId}/results`, { headers: auth(screening) })
      ).json()) as { batch: { status: string }; items: PredictBody[] };
      return page.batch.status === 'completed' ? page.items : undefined;
    });
    expect(item).toMatchObject({ site: 'ward-strict', calibrationId: calibrations.strict!.id });
  });

  it('refuses an unknown site, two different sites in one request and a site field sent after the files', async () => {
    expect(await predict({ header: 'ward-nowhere' })).toMatchObject({
      status: 422,
      body: { code: 'UNKNOWN_SITE' },
    });
    expect(await predict({ header: 'ward-lenient', field: 'ward-strict' })).toMatchObject({
      status: 400,
      body: { code: 'SITE_CONFLICT' },
    });
    const late = new FormData();
    late.append('files', new Blob([new Uint8Array(await fixture('a0238.flac'))]), 'a0238.flac');
    late.append('site', 'ward-lenient');
    const response = await fetch(`${base}/api/v1/batches`, {
      method: 'POST',
      headers: auth(screening),
      body: late,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'SITE_FIELD_AFTER_FILES' });
  });

  it('a new calibration takes effect in the running worker at once', async () => {
    const strictSite = (await sites.findByName('ward-strict'))!;
    const refit = await sites.recordCalibration(
      fitted(strictSite.id, { slope: 1, intercept: 3, threshold: 0.002 }),
    );
    await redis.publish(SITE_CALIBRATION_CHANGED_CHANNEL, 'ward-strict');
    const result = await waitFor(
      'the new calibration',
      async () => {
        const { body } = await predict({ header: 'ward-strict' });
        return body.calibrationId === refit.id ? body : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(result).toMatchObject({ label: 'abnormal', threshold: 0.002, modelVersion: BASE });
    calibrations.strict = refit;
    expect((await sites.findCalibration(calibrations.lenient!.id))?.status).toBe('active');
  });

  it("keeps each site's calibration when a new model is promoted", async () => {
    const swapsBefore = await modelSwaps();
    const promoted = await fetch(`${base}/api/v1/models/${NEXT}/promote`, {
      method: 'POST',
      headers: json(admin),
      body: JSON.stringify({ reason: 'sites test' }),
    });
    expect(promoted.status).toBe(200);
    await waitFor(`the worker to serve ${NEXT}`, async () =>
      worker.modelVersion === NEXT ? true : undefined,
    );
    expect(await modelSwaps()).toBe(swapsBefore + 1);
    const lenient = await predict({ header: 'ward-lenient' });
    const own = await predict();
    expect(lenient.body).toMatchObject({
      site: 'ward-lenient',
      calibrationId: calibrations.lenient!.id,
      threshold: 0.001,
      modelVersion: NEXT,
    });
    expect(own.body).toMatchObject({ site: null, calibrationId: null, modelVersion: NEXT });
    const calibration = await (
      await fetch(`${base}/api/v1/sites/ward-lenient/calibration`, { headers: auth(screening) })
    ).json();
    expect(calibration).toMatchObject({
      id: calibrations.lenient!.id,
      status: 'active',
      baseModelVersion: BASE,
    });
  });

  it('refuses at submission a site whose labelled recordings are of one class, or too few', async () => {
    await createSite('ward-small');
    await uploadTraining('ward-small', 'normal', [
      { name: 'a0238.flac', bytes: await fixture('a0238.flac') },
      { name: 'b0225.flac', bytes: await fixture('b0225.flac') },
      { name: 'e01440.flac', bytes: await fixture('e01440.flac') },
    ]);
    const oneClass = await fetch(`${base}/api/v1/sites/ward-small/calibrations`, {
      method: 'POST',
      headers: json(admin),
      body: '{}',
    });
    expect(oneClass.status).toBe(422);
    expect(await oneClass.json()).toMatchObject({
      code: 'SITE_RECORDS_ONE_CLASS',
      details: { site: 'ward-small', records: { normal: 3, abnormal: 0 } },
    });

    await uploadTraining(
      'ward-small',
      'abnormal',
      [1, 2].map((seed) => ({ name: `s${seed}.wav`, bytes: syntheticWav(seed) })),
    );
    const tooFew = await fetch(`${base}/api/v1/site-calibrations`, {
      method: 'POST',
      headers: json(admin),
      body: JSON.stringify({ site: 'ward-small' }),
    });
    expect(tooFew.status).toBe(422);
    const body = (await tooFew.json()) as { code: string; message: string };
    expect(body.code).toBe('SITE_RECORDS_TOO_FEW');
    expect(body.message).toMatch(/3 normal and 2 abnormal/);
    const status = await (await fetch(`${base}/api/v1/training-status`, { headers: auth(admin) })).json();
    expect(status.run?.kind).not.toBe('calibration');

    const unknown = await fetch(`${base}/api/v1/sites/ward-nowhere/calibrations`, {
      method: 'POST',
      headers: json(admin),
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'SITE_NOT_FOUND' });
  });

  it('tags a recording already uploaded for another site for this site instead of dropping it', async () => {
    await createSite('ward-other');
    const again = await uploadTraining('ward-other', 'normal', [
      { name: 'a0238.flac', bytes: await fixture('a0238.flac') },
    ]);
    expect(again.accepted).toMatchObject([{ fileName: 'a0238.flac', site: 'ward-other' }]);
    expect(again.duplicates).toEqual([]);
    const twice = await uploadTraining('ward-other', 'normal', [
      { name: 'a0238-copy.flac', bytes: await fixture('a0238.flac') },
    ]);
    expect(twice.accepted).toEqual([]);
    expect(twice.duplicates).toHaveLength(1);
    const site = await (await fetch(`${base}/api/v1/sites/ward-other`, { headers: auth(screening) })).json();
    expect(site.records).toEqual({ normal: 1, abnormal: 0 });
  });

  it('lists sites with their records, fitted decision, local sensitivity and specificity, and status', async () => {
    const { items } = (await (await fetch(`${base}/api/v1/sites`, { headers: auth(screening) })).json()) as {
      items: Record<string, unknown>[];
    };
    const lenient = items.find((s) => s.name === 'ward-lenient');
    expect(lenient).toMatchObject({
      device: 'Littmann 3200',
      owner: 'ward 1',
      status: 'calibrated',
      calibration: {
        id: calibrations.lenient!.id,
        decision: { slope: 1, intercept: 3, threshold: 0.001 },
        records: { normal: 15, abnormal: 15 },
        local: { sensitivity: 0.933, specificity: 0.6, sensitivityLowerBound: 0.74, modelSpecificity: 0.07 },
      },
    });
    expect(items.find((s) => s.name === 'ward-small')).toMatchObject({
      status: 'uncalibrated',
      records: { normal: 3, abnormal: 2 },
      calibration: null,
    });
  });

  it('documents every site endpoint in OpenAPI with its bodies and error codes', async () => {
    const document = (await (await fetch(`${base}/docs/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { description?: string }>; requestBody?: unknown }>
      >;
    };
    const paths = document.paths;
    for (const [route, method] of [
      ['/api/v1/sites', 'post'],
      ['/api/v1/sites', 'get'],
      ['/api/v1/sites/{name}', 'get'],
      ['/api/v1/sites/{name}', 'patch'],
      ['/api/v1/sites/{name}/calibration', 'get'],
      ['/api/v1/sites/{name}/calibrations', 'get'],
      ['/api/v1/sites/{name}/calibrations', 'post'],
      ['/api/v1/site-calibrations', 'post'],
      ['/api/v1/api-keys/{id}/site', 'put'],
    ] as const)
      expect(paths[route]?.[method], `${method} ${route}`).toBeDefined();
    expect(paths['/api/v1/sites']!.post!.requestBody).toBeDefined();
    expect(paths['/api/v1/sites']!.post!.responses['409']?.description).toMatch(/SITE_EXISTS/);
    expect(paths['/api/v1/sites/{name}/calibrations']!.post!.responses['422']?.description).toMatch(
      /SITE_RECORDS_ONE_CLASS.*SITE_RECORDS_TOO_FEW/,
    );
    expect(paths['/api/v1/sites/{name}/calibration']!.get!.responses['404']?.description).toMatch(
      /SITE_NOT_CALIBRATED/,
    );
    expect(JSON.stringify(paths['/predict'])).toMatch(/X-HeartBeat-Site/);
  });
});
