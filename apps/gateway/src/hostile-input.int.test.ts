// Hostile and odd input against the real stack: the gateway as its own process (so a crash shows as
// a dead process, not a failed assertion inside this one), a real inference worker, PostgreSQL,
// Redis and the S3 server. Every bad file gets a 4xx with the audio library's own code on every
// screening endpoint; a body cut off mid-file is a 400, never a crash; bad audio never reaches the
// dead-letter queue; /predict, the batch path and the CLI agree on short and odd-sized files.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import JSONSchemaValidator from '@asymmetrik/fhir-json-schema-validator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeAudio } from '@heartbeat/audio';
import { loadConfig } from '@heartbeat/config';
import { ObjectStorage } from '@heartbeat/storage';
import { buildWav, float32Samples, int16Samples } from '../../../libs/audio/test/wav-builder';
import { freePort } from '../../../test/free-port';
import { startService, waitFor, type ServiceProcess } from '../../../test/real-stack';

const ROOT = path.resolve(__dirname, '../../..');
const ADMIN_KEY = 'hb_hostile-input-test-admin-key';
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const realFlac = readFileSync(path.join(ROOT, 'samples/training-a/a0114.flac'));
const fhirValidator = new JSONSchemaValidator();

interface Upload {
  name: string;
  bytes: Uint8Array;
}

const tone = (seconds: number, rate: number, hz = 90): Float32Array =>
  Float32Array.from(
    { length: Math.round(seconds * rate) },
    (_, n) =>
      0.4 * Math.sin((2 * Math.PI * hz * n) / rate) * (n % Math.round(rate * 0.8) < rate * 0.1 ? 1 : 0.2),
  );

/** Files that cannot be screened: each must be answered with the code decodeAudio gives it. */
const hostile: Upload[] = [
  {
    name: 'claims-2-gb.wav',
    bytes: buildWav({ data: int16Samples(tone(3, 2000)), declaredDataSize: 0x7fff_fff0 }),
  },
  { name: 'rate-0.wav', bytes: buildWav({ sampleRate: 0, data: int16Samples(tone(3, 2000)) }) },
  { name: '65535-channels.wav', bytes: buildWav({ channels: 65_535, data: int16Samples(tone(3, 2000)) }) },
  {
    name: 'nan.wav',
    bytes: buildWav({
      formatTag: 3,
      bitsPerSample: 32,
      data: float32Samples(tone(3, 2000).map((v, i) => (i === 1000 ? Number.NaN : v))),
    }),
  },
  { name: 'truncated.flac', bytes: realFlac.subarray(0, Math.floor(realFlac.length / 3)) },
  {
    name: 'ten-minutes-of-silence.wav',
    bytes: buildWav({ sampleRate: 500, data: new Uint8Array(600 * 500 * 2) }),
  },
  { name: 'half-a-second.wav', bytes: buildWav({ data: int16Samples(tone(0.5, 2000)) }) },
  {
    name: 'half-a-second-800hz.wav',
    bytes: buildWav({ sampleRate: 800, data: int16Samples(tone(0.5, 800)) }),
  },
];
/** Refused at the door from their first bytes: [file, status, code]. */
const refusedAtIntake: [Upload, number, string][] = [
  [
    {
      name: 'picture.wav',
      bytes: Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.alloc(300, 7),
      ]),
    },
    415,
    'UNSUPPORTED_FORMAT',
  ],
  [{ name: 'empty.wav', bytes: new Uint8Array(0) }, 415, 'EMPTY_FILE'],
];
/** Valid recordings of unusual size or rate: every path must give the same answer. */
const odd: Upload[] = [
  { name: 'short-800hz.wav', bytes: buildWav({ sampleRate: 800, data: int16Samples(tone(2.5, 800)) }) },
  {
    name: 'odd-length-8bit.wav',
    bytes: buildWav({
      bitsPerSample: 8,
      data: Uint8Array.from(
        tone(2.2, 2000)
          .map((v) => Math.round(128 + 100 * v))
          .slice(0, 4401),
      ),
    }),
  },
  { name: 'short-4khz.wav', bytes: buildWav({ sampleRate: 4000, data: int16Samples(tone(3.1, 4000)) }) },
  { name: 'real.flac', bytes: realFlac },
];

let gateway: ServiceProcess;
let worker: ServiceProcess;
let base: string;
let workDir: string;
let env: Record<string, string>;
const auth = { Authorization: `Bearer ${ADMIN_KEY}` };

function form(field: string, files: Upload[]): FormData {
  const body = new FormData();
  for (const file of files) body.append(field, new Blob([new Uint8Array(file.bytes)]), file.name);
  return body;
}

async function audioCode(bytes: Uint8Array): Promise<string> {
  const error = await decodeAudio(bytes).then(
    () => undefined,
    (caught: { code?: string }) => caught,
  );
  if (!error?.code) throw new Error('expected the audio library to refuse this file');
  return error.code;
}

interface PredictionRow {
  fileName: string;
  status: string;
  label: string | null;
  probability: number | null;
  error: { code: string; message: string } | null;
}

async function screenBatch(
  endpoint: string,
  files: Upload[],
): Promise<{ created: Record<string, unknown>; items: Map<string, PredictionRow> }> {
  const response = await fetch(`${base}${endpoint}`, {
    method: 'POST',
    headers: auth,
    body: form('files', files),
  });
  const created = await response.json();
  expect(response.status, JSON.stringify(created)).toBe(202);
  await waitFor(
    `batch ${created.id} to complete`,
    async () =>
      (await (await fetch(`${base}${created.statusUrl}`, { headers: auth })).json()).status === 'completed'
        ? true
        : undefined,
    { timeoutMs: 180_000, services: [gateway, worker] },
  );
  const results = await (await fetch(`${base}${created.resultsUrl}?limit=100`, { headers: auth })).json();
  return { created, items: new Map((results.items as PredictionRow[]).map((item) => [item.fileName, item])) };
}

/** A multipart body that stops in the middle of its file, without the closing boundary. */
function truncatedMultipart(field: string): { body: Blob; contentType: string } {
  const boundary = '----heartbeat-truncated';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="cut.flac"\r\nContent-Type: audio/flac\r\n\r\n`;
  return {
    body: new Blob([new Uint8Array(Buffer.concat([Buffer.from(head), realFlac.subarray(0, 20_000)]))]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'heartbeat-hostile-'));
  const integration = inject('integrationEnv');
  env = { ...integration, QUEUE_PREFIX: `${integration.QUEUE_PREFIX}:hostile`, LOG_LEVEL: 'warn' };
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gateway = startService('gateway', 'apps/gateway/src/main.ts', {
    ...env,
    PORT: String(port),
    GATEWAY_METRICS_PORT: '0',
    HEARTBEAT_BOOTSTRAP_API_KEY: ADMIN_KEY,
    MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    PREDICT_TIMEOUT_MS: '60000',
    RATE_LIMIT_PER_MINUTE: '100000',
  });
  worker = startService('inference worker', 'apps/inference-worker/src/main.ts', {
    ...env,
    INFERENCE_PROCESSES: '1',
    INFERENCE_WORKER_METRICS_PORT: '0',
    INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'model-cache'),
  });
  await waitFor(
    'a ready gateway with a loaded model',
    async () => ((await (await fetch(`${base}/health`)).json()).modelLoaded ? true : undefined),
    { timeoutMs: 240_000, services: [gateway, worker] },
  );
}, 300_000);

afterAll(async () => {
  await Promise.all([gateway?.stop(), worker?.stop()]);
  rmSync(workDir, { recursive: true, force: true });
});

describe('hostile input on the real stack', () => {
  it('answers a multipart body cut off mid-file with 400 MALFORMED_MULTIPART on every upload endpoint, and the gateway stays up', async () => {
    const pid = gateway.child.pid;
    for (const [endpoint, field] of [
      ['/predict', 'file'],
      ['/batch-predict', 'files'],
      ['/api/v1/batches', 'files'],
      ['/upload-training-data', 'files'],
    ] as const) {
      const { body, contentType } = truncatedMultipart(field);
      const response = await fetch(`${base}${endpoint}`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': contentType },
        body,
      });
      expect(response.status, endpoint).toBe(400);
      expect((await response.json()).code, endpoint).toBe('MALFORMED_MULTIPART');
    }
    expect(gateway.child.exitCode).toBeNull();
    expect(gateway.child.pid).toBe(pid);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it('answers every unscreenable recording on /predict with 422 and the audio error code, never 503', async () => {
    for (const file of hostile) {
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: auth,
        body: form('file', [file]),
      });
      const body = await response.json();
      expect({ file: file.name, status: response.status, code: body.code }).toEqual({
        file: file.name,
        status: 422,
        code: await audioCode(file.bytes),
      });
      expect(body.message).toBeTruthy();
    }
    for (const [file, status, code] of refusedAtIntake) {
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: auth,
        body: form('file', [file]),
      });
      expect({ file: file.name, status: response.status, code: (await response.json()).code }).toEqual({
        file: file.name,
        status,
        code,
      });
    }
  });

  it('records the same codes per file on both batch endpoints, and bad audio never reaches the dead-letter queue', async () => {
    for (const endpoint of ['/batch-predict', '/api/v1/batches']) {
      const { created, items } = await screenBatch(endpoint, [
        ...hostile,
        ...refusedAtIntake.map(([file]) => file),
      ]);
      for (const file of hostile) {
        const row = items.get(file.name);
        expect({ endpoint, file: file.name, status: row?.status, code: row?.error?.code }).toEqual({
          endpoint,
          file: file.name,
          status: 'failed',
          code: await audioCode(file.bytes),
        });
      }
      const refused = new Map(
        (created.files as { fileName: string; status: string; code?: string }[]).map((f) => [f.fileName, f]),
      );
      for (const [file, , code] of refusedAtIntake)
        expect(refused.get(file.name)).toMatchObject({ status: 'rejected', code });
    }
    const deadLetter = await (await fetch(`${base}/api/v1/dead-letter`, { headers: auth })).json();
    expect(deadLetter.total).toBe(0);
  });

  it('gives the same answer for short and odd-sized recordings on /predict, in a batch and in the CLI', async () => {
    const predicted = new Map<string, PredictionRow>();
    for (const file of odd) {
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: auth,
        body: form('file', [file]),
      });
      const body = await response.json();
      expect(response.status, `${file.name}: ${JSON.stringify(body)}`).toBe(200);
      predicted.set(file.name, body);
    }
    const { items } = await screenBatch('/api/v1/batches', odd);
    for (const file of odd) writeFileSync(path.join(workDir, file.name), file.bytes);
    const modelVersion = (await (await fetch(`${base}/health`, { headers: auth })).json()).modelVersions[0];
    const cli = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'bin/heartbeat.js'),
        'classify',
        '--format',
        'jsonl',
        '--no-progress',
        '--model',
        path.join(ROOT, 'models', modelVersion),
        ...odd.map((f) => path.join(workDir, f.name)),
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const fromCli = new Map(
      cli.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { file: string; label: string; probability: number })
        .map((row) => [path.basename(row.file), row]),
    );
    for (const file of odd) {
      const single = predicted.get(file.name)!;
      const batched = items.get(file.name)!;
      const command = fromCli.get(file.name)!;
      expect({ file: file.name, predict: single.label, batch: batched.label }).toEqual({
        file: file.name,
        predict: command.label,
        batch: command.label,
      });
      expect(single.probability).toBeCloseTo(command.probability, 4);
      expect(batched.probability).toBeCloseTo(command.probability, 4);
    }
  });

  it('answers an oversized file with 413 on /predict and in a batch, and leaves no partial upload in the bucket', async () => {
    const big: Upload = {
      name: 'too-big.flac',
      bytes: Buffer.concat([realFlac, Buffer.alloc(MAX_UPLOAD_BYTES + 2 * 1024 * 1024 - realFlac.length, 1)]),
    };
    const single = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: auth,
      body: form('file', [big]),
    });
    expect(single.status).toBe(413);
    expect((await single.json()).code).toBe('FILE_TOO_LARGE');

    const response = await fetch(`${base}/api/v1/batches`, {
      method: 'POST',
      headers: auth,
      body: form('files', [big, odd[3]!]),
    });
    const created = await response.json();
    expect(response.status, JSON.stringify(created)).toBe(202);
    expect(created.files.find((f: { fileName: string }) => f.fileName === big.name)).toMatchObject({
      status: 'rejected',
      code: 'FILE_TOO_LARGE',
    });
    const config = loadConfig(env);
    const storage = ObjectStorage.fromSettings(config.s3);
    try {
      const leftovers: string[] = [];
      for await (const object of storage.listAll({ prefix: 'tmp/' })) leftovers.push(object.key);
      expect(leftovers).toEqual([]);
    } finally {
      storage.close();
    }
    expect(gateway.child.exitCode).toBeNull();
  });

  it('stores a clean, bounded file name and serves downloads with an RFC 6266 Content-Disposition', async () => {
    const names = [`${'x'.repeat(5000)}.flac`, '../../etc/passwd.flac', 'Herzton Müller 心音.flac'];
    const stored: string[] = [];
    for (const name of names) {
      const body = new FormData();
      body.append('file', new Blob([new Uint8Array(realFlac)]), name);
      const response = await fetch(`${base}/predict`, { method: 'POST', headers: auth, body });
      const result = await response.json();
      expect(response.status, JSON.stringify(result).slice(0, 300)).toBe(200);
      stored.push(result.fileName);
      const link = await (
        await fetch(`${base}/api/v1/recordings/${result.recordingId}/download?format=json`, { headers: auth })
      ).json();
      const download = await fetch(link.url);
      expect(download.status).toBe(200);
      const disposition = download.headers.get('content-disposition') ?? '';
      expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent(result.fileName)}`);
    }
    expect([...stored[0]!]).toHaveLength(255);
    expect(stored[0]!.endsWith('.flac')).toBe(true);
    expect(stored[1]).toBe('passwd.flac');
    expect(stored[2]).toBe('Herzton Müller 心音.flac');
  });

  it('screens a WFDB record sent as its .hea and .dat parts, on /predict and in a batch, as the same samples in a WAV', async () => {
    const decoded = await decodeAudio(new Uint8Array(realFlac));
    const pcm = Int16Array.from(decoded.samples, (v) =>
      Math.max(-32768, Math.min(32767, Math.round(v * 32768))),
    );
    const record: Upload[] = [
      {
        name: 'a0114.hea',
        bytes: Buffer.from(`a0114 1 2000 ${pcm.length}\na0114.dat 16 1000(0)/mV 16 0 0 0 0 PCG\n`),
      },
      { name: 'a0114.dat', bytes: new Uint8Array(pcm.buffer) },
    ];
    const wav: Upload = {
      name: 'same-samples.wav',
      bytes: buildWav({ sampleRate: 2000, data: new Uint8Array(pcm.buffer) }),
    };
    const predict = async (files: Upload[]) => {
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: auth,
        body: form('file', files),
      });
      const body = await response.json();
      expect(response.status, JSON.stringify(body)).toBe(200);
      return body;
    };
    const fromRecord = await predict(record);
    const fromWav = await predict([wav]);
    expect(fromRecord.fileName).toBe('a0114.hea');
    // The same samples; the dynamic batch a window joins moves the network's output in the 6th decimal.
    expect(fromRecord.label).toBe(fromWav.label);
    expect(fromRecord.probability).toBeCloseTo(fromWav.probability, 4);
    expect(fromRecord.quality).toBeCloseTo(fromWav.quality, 4);

    const lone = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: auth,
      body: form('file', [record[0]!]),
    });
    expect(lone.status).toBe(415);
    expect((await lone.json()).message).toMatch(/send the \.hea and its \.dat in the same request/);

    const { items } = await screenBatch('/api/v1/batches', [record[1]!, wav, record[0]!]);
    expect(items.get('a0114.hea')).toMatchObject({ status: 'succeeded', label: fromWav.label });
    expect(items.get('a0114.hea')!.probability).toBeCloseTo(fromWav.probability, 4);
  });

  it('answers every file of the committed hostile corpus with a 4xx and its stable code, never a 5xx, with both services up and their memory bounded', async () => {
    const corpus = path.join(ROOT, 'libs/audio/test/fixtures/hostile-corpus');
    const manifest = JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as {
      name: string;
      files: string[];
      code: string;
    }[];
    const rss = (pid: number) =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    const before = { gateway: rss(gateway.child.pid!), worker: rss(worker.child.pid!) };
    const answers: { file: string; status: number; code: string }[] = [];
    for (const entry of manifest) {
      const files = entry.files.map((name) => ({ name, bytes: readFileSync(path.join(corpus, name)) }));
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: auth,
        body: form('file', files),
      });
      const body = await response.json();
      answers.push({ file: entry.name, status: response.status, code: body.code });
      expect({
        file: entry.name,
        status: response.status >= 400 && response.status < 500,
        code: body.code,
      }).toEqual({ file: entry.name, status: true, code: entry.code });
    }
    expect(gateway.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    expect(rss(gateway.child.pid!) - before.gateway).toBeLessThan(200 * 1024 * 1024);
    expect(rss(worker.child.pid!) - before.worker).toBeLessThan(300 * 1024 * 1024);
    expect(answers).toHaveLength(manifest.length);
    // For docs/reliability.md (npm run reliability:report).
    mkdirSync(path.join(ROOT, 'tmp/reliability'), { recursive: true });
    const growthMb = {
      gateway: (rss(gateway.child.pid!) - before.gateway) / 2 ** 20,
      worker: (rss(worker.child.pid!) - before.worker) / 2 ** 20,
    };
    writeFileSync(
      path.join(ROOT, 'tmp/reliability/hostile-corpus.json'),
      JSON.stringify(
        {
          at: new Date().toISOString(),
          entries: manifest.length,
          files: manifest.reduce((n, e) => n + e.files.length, 0),
          answers,
          rssGrowthMb: growthMb,
        },
        null,
        2,
      ),
    );
  });

  it('presents a screened batch and its predictions as FHIR R4 resources that pass the official schema', async () => {
    const { created, items } = await screenBatch('/api/v1/batches', [odd[3]!, hostile[6]!]);
    const report = await fetch(`${base}${created.resultsUrl}`, {
      headers: { ...auth, Accept: 'application/fhir+json' },
    });
    expect(report.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const diagnosticReport = await report.json();
    expect(fhirValidator.validate(diagnosticReport, true)).toEqual([]);
    expect(diagnosticReport).toMatchObject({
      resourceType: 'DiagnosticReport',
      id: created.batchId,
      status: 'final',
    });
    expect(diagnosticReport.contained).toHaveLength(2);
    const screened = items.get(odd[3]!.name)!;
    const observation = await (
      await fetch(`${base}/api/v1/predictions/${(screened as unknown as { id: string }).id}?format=fhir`, {
        headers: auth,
      })
    ).json();
    expect(fhirValidator.validate(observation, true)).toEqual([]);
    expect(observation).toMatchObject({
      resourceType: 'Observation',
      status: 'final',
      valueCodeableConcept: { text: expect.stringMatching(/^(normal|abnormal|unsure)/) },
    });
    expect(JSON.stringify(diagnosticReport)).not.toContain(odd[3]!.name);
  });

  it('needs a key for every read but health and uptime, and never serves a recording without one', async () => {
    for (const open of ['/health', '/health/live', '/uptime'])
      expect((await fetch(`${base}${open}`)).status, open).toBe(200);
    for (const closed of [
      '/api/v1/predictions/00000000-0000-4000-8000-000000000000',
      '/metrics',
      '/visualizations/prediction-history',
      '/training-status',
      '/api/v1/recordings/00000000-0000-4000-8000-000000000000/download',
    ]) {
      const response = await fetch(`${base}${closed}`);
      expect(response.status, closed).toBe(401);
      expect((await response.json()).code).toBe('API_KEY_MISSING');
    }
  });
});
