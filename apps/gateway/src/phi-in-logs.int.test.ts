// No protected health information in any service's log: the gateway, an inference worker and the
// training worker run as their own processes at LOG_LEVEL=debug (the most they ever write), and a
// client puts patient names, dates of birth and record numbers everywhere it can (file names,
// Idempotency-Key, headers, form fields, query strings): screening batches (accepted, refused at
// the door, failing in the worker), /predict (answered and refused), labelled training uploads and
// a training run. Not one of those strings may appear in the logs; the API itself still answers
// with the file names, which is where they belong (behind a key).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/free-port';
import { ownDatabaseEnv } from '../../../test/own-database';
import { startService, waitFor, type ServiceProcess } from '../../../test/real-stack';

const ROOT = path.resolve(__dirname, '../../..');
const ADMIN_KEY = 'hb_phi-in-logs-test-admin-key';
const realFlac = readFileSync(path.join(ROOT, 'samples/training-a/a0114.flac'));
const otherFlac = readFileSync(path.join(ROOT, 'samples/training-a/a0293.flac'));
const FIXTURES = path.join(ROOT, 'libs/audio/test/fixtures');

/** Patient-like identifiers; each of these strings must stay out of every log. */
const PATIENTS = [
  { surname: 'Doe', given: 'Johnathan', born: '1962-03-14', mrn: 'MRN0048213' },
  { surname: 'Smithfield', given: 'Alicia', born: '1948-07-21', mrn: 'MRN0031337' },
  { surname: 'Roewood', given: 'Janette', born: '1957-11-02', mrn: 'MRN0099317' },
  { surname: 'Brownlow', given: 'Carolyn', born: '1971-05-30', mrn: 'MRN0077001' },
] as const;
const fileName = (index: number, extension: string, suffix = ''): string => {
  const { surname, given, born, mrn } = PATIENTS[index];
  return `${surname}_${given}_${born}_${mrn}${suffix}.${extension}`;
};
const NEEDLES = [
  ...PATIENTS.flatMap(({ surname, given, born, mrn }) => [
    surname,
    given,
    born,
    born.replaceAll('-', ''),
    mrn,
  ]),
  'Idem-Doe-visit',
  'X-Patient-Name-Value',
];
const idempotencyKey = `Idem-Doe-visit-${PATIENTS[0].mrn}-${Date.now()}`;
const identifyingHeaders = {
  'Idempotency-Key': idempotencyKey,
  'X-Patient-Name': `X-Patient-Name-Value ${PATIENTS[0].surname}, ${PATIENTS[0].given}`,
  'X-Patient-MRN': PATIENTS[0].mrn,
  'User-Agent': `ward-recorder (${PATIENTS[1].surname} ${PATIENTS[1].given})`,
};

const services: ServiceProcess[] = [];
let base: string;
let workDir: string;
let env: Record<string, string>;
const auth = { Authorization: `Bearer ${ADMIN_KEY}` };

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'heartbeat-phi-logs-'));
  // Its own database: the training run below may promote its version.
  const integration = await ownDatabaseEnv();
  env = { ...integration, QUEUE_PREFIX: `${integration.QUEUE_PREFIX}:phi`, LOG_LEVEL: 'debug' };
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  services.push(
    startService('gateway', 'apps/gateway/src/main.ts', {
      ...env,
      PORT: String(port),
      GATEWAY_METRICS_PORT: '0',
      HEARTBEAT_BOOTSTRAP_API_KEY: ADMIN_KEY,
      RATE_LIMIT_PER_MINUTE: '100000',
      PREDICT_TIMEOUT_MS: '60000',
    }),
  );
  services.push(
    startService('inference-worker', 'apps/inference-worker/src/main.ts', {
      ...env,
      INFERENCE_PROCESSES: '1',
      INFERENCE_WORKER_METRICS_PORT: '0',
      INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'model-cache'),
    }),
  );
  services.push(
    startService('training-worker', 'apps/training-worker/src/main.ts', {
      ...env,
      TRAINING_WORKER_METRICS_PORT: '0',
      INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'training-model-cache'),
      TRAINING_BASE_DATA_DIR: path.join(ROOT, 'samples'),
      TRAINING_WORK_DIR: path.join(workDir, 'training'),
    }),
  );
  await waitFor(
    'a ready gateway with a loaded model',
    async () => ((await (await fetch(`${base}/health`)).json()).modelLoaded ? true : undefined),
    { timeoutMs: 480_000, services }, // three services compiling at once on a loaded machine
  );
}, 540_000);

afterAll(async () => {
  for (const service of services) await service.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('protected health information in the logs', () => {
  it('is kept out of every service log while batches, /predict, training uploads and a training run go through with identifiable names', async () => {
    // A screening batch: one recording screened, one failing in the worker, one refused at the door,
    // with the patient in form fields and headers too.
    const batch = new FormData();
    batch.append('patientName', `${PATIENTS[0].surname}, ${PATIENTS[0].given}`);
    batch.append('dateOfBirth', PATIENTS[0].born);
    batch.append('mrn', PATIENTS[0].mrn);
    batch.append('files', new Blob([new Uint8Array(realFlac)]), fileName(0, 'flac'));
    batch.append(
      'files',
      new Blob([new Uint8Array(realFlac.subarray(0, Math.floor(realFlac.length / 3)))]),
      fileName(1, 'flac'),
    );
    batch.append('files', new Blob([new Uint8Array(0)]), fileName(2, 'wav'));
    const created = await fetch(`${base}/api/v1/batches`, {
      method: 'POST',
      headers: { ...auth, ...identifyingHeaders },
      body: batch,
    });
    const createdBody = await created.json();
    expect(created.status, JSON.stringify(createdBody)).toBe(202);
    await waitFor(
      'the batch to complete',
      async () =>
        (await (await fetch(`${base}${createdBody.statusUrl}`, { headers: auth })).json()).status ===
        'completed'
          ? true
          : undefined,
      { timeoutMs: 180_000, services },
    );
    const results = await (
      await fetch(`${base}${createdBody.resultsUrl}?limit=100`, { headers: auth })
    ).json();
    // a query string naming the patient (whatever the route makes of it) is not logged either
    await fetch(`${base}${createdBody.resultsUrl}?patient=${encodeURIComponent(fileName(0, 'flac'))}`, {
      headers: { ...auth, 'X-Patient-Name': identifyingHeaders['X-Patient-Name'] },
    });
    // the API answers with the names, behind its key
    expect(
      (results.items as { fileName: string; status: string }[]).map((item) => [item.fileName, item.status]),
    ).toEqual(
      expect.arrayContaining([
        [fileName(0, 'flac'), 'succeeded'],
        [fileName(1, 'flac'), 'failed'],
      ]),
    );
    // the same key again answers with the stored batch
    const retried = await fetch(`${base}/api/v1/batches`, {
      method: 'POST',
      headers: { ...auth, ...identifyingHeaders },
      body: batch,
    });
    expect((await retried.json()).id).toBe(createdBody.id);

    // the legacy batch endpoint
    const legacy = new FormData();
    legacy.append('files', new Blob([new Uint8Array(otherFlac)]), fileName(3, 'flac', '_legacy'));
    const legacyResponse = await fetch(`${base}/batch-predict`, {
      method: 'POST',
      headers: auth,
      body: legacy,
    });
    expect(legacyResponse.status).toBe(202);

    // /predict, answered and refused
    for (const [bytes, name, status] of [
      [otherFlac, fileName(0, 'flac', '_predict'), 200],
      [realFlac.subarray(0, 2000), fileName(1, 'flac', '_predict'), 422],
      [Buffer.from('%PDF-1.4 discharge letter'), fileName(2, 'pdf'), 415],
    ] as const) {
      const body = new FormData();
      body.append('patientName', `${PATIENTS[2].surname} ${PATIENTS[2].given}`);
      body.append('file', new Blob([new Uint8Array(bytes)]), name);
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { ...auth, ...identifyingHeaders, 'Idempotency-Key': `${idempotencyKey}-${name}` },
        body,
      });
      expect(response.status, name).toBe(status);
    }

    // labelled training data, and a short training run over it
    const training = new FormData();
    training.append(
      'files',
      new Blob([readFileSync(path.join(FIXTURES, 'a0238.flac'))]),
      fileName(3, 'flac'),
    );
    training.append('labels', 'abnormal');
    training.append(
      'files',
      new Blob([readFileSync(path.join(FIXTURES, 'b0225.flac'))]),
      fileName(0, 'flac', '_train'),
    );
    training.append('labels', 'normal');
    const uploaded = await fetch(`${base}/upload-training-data`, {
      method: 'POST',
      headers: { ...auth, ...identifyingHeaders, 'Idempotency-Key': `${idempotencyKey}-training` },
      body: training,
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(200);
    const retrain = await fetch(`${base}/retrain`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        params: {
          epochs: 1,
          windowsPerEpoch: 16,
          batchSize: 16,
          blockFilters: [4, 4, 8, 8, 8],
          maxMinutes: 5,
        },
      }),
    });
    const run = await retrain.json();
    expect(retrain.status, JSON.stringify(run)).toBe(202);
    const finished = await waitFor(
      'the training run to finish',
      async () => {
        const status = await (
          await fetch(`${base}/api/v1/training-runs/${run.id}`, { headers: auth })
        ).json();
        return ['succeeded', 'failed', 'cancelled'].includes(status.status) ? status.status : undefined;
      },
      { timeoutMs: 480_000, services },
    );
    expect(finished).toBe('succeeded');

    // requests that name a patient in the path are refused, and their path is not logged either
    const probe = await fetch(`${base}/api/v1/batches/${encodeURIComponent(fileName(0, 'flac'))}`, {
      headers: auth,
    });
    expect(probe.status).toBeGreaterThanOrEqual(400);

    await new Promise((resolve) => setTimeout(resolve, 1_000)); // let the asynchronous log writes land
    const logs = new Map(services.map((service) => [service.name, service.output()]));
    // the logs did record the traffic, so an empty log cannot pass
    expect(logs.get('gateway')).toContain('POST /api/v1/batches answered 202');
    expect(logs.get('gateway')).toContain('POST /predict answered 415 UNSUPPORTED_FORMAT');
    expect(logs.get('gateway')).toContain('GET /api/v1/batches/:id answered 400 VALIDATION_FAILED');
    expect(logs.get('inference-worker')).toContain('Prediction job succeeded');
    expect(logs.get('training-worker')).toContain(`Training run ${run.id} succeeded`);
    for (const [service, text] of logs) {
      const found = NEEDLES.filter(
        (needle) => text.includes(needle) || text.includes(encodeURIComponent(needle)),
      );
      const lines = text.split('\n').filter((line) => found.some((needle) => line.includes(needle)));
      expect({ service, found, lines: lines.slice(0, 5) }).toEqual({ service, found: [], lines: [] });
    }
  }, 900_000);
});
