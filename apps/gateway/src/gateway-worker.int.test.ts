// End to end on the real stack: the gateway in-process and a real inference worker process. A batch
// of 50 PhysioNet recordings plus one corrupt file completes with the CLI's labels for the 50 and
// the corrupt file failed alone with its error code.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { ApiKeysService } from './auth/api-keys.service';
import { createGatewayApp } from './gateway-app';

const ROOT = path.resolve(__dirname, '../../..');
const DATA = '/work/shared/data/physionet2016';
const PER_SUBSET = 10;

let app: NestExpressApplication;
let base: string;
let key: string;
let worker: ChildProcess | undefined;
let workerLog = '';
let workDir: string;
const files: string[] = [];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (worker?.exitCode !== null && worker?.exitCode !== undefined) throw new Error(`inference worker exited (${worker.exitCode}) while waiting for ${what}:\n${workerLog.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${workerLog.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'heartbeat-gateway-e2e-'));
  // Copies, so nothing can ever touch the shared data set.
  for (const subset of ['a', 'b', 'c', 'd', 'e']) {
    const folder = path.join(DATA, `training-${subset}`);
    for (const name of readdirSync(folder).filter((n) => n.endsWith('.flac')).sort().slice(0, PER_SUBSET)) {
      copyFileSync(path.join(folder, name), path.join(workDir, name));
      files.push(path.join(workDir, name));
    }
  }
  const env = { ...inject('integrationEnv'), QUEUE_PREFIX: `${inject('integrationEnv').QUEUE_PREFIX}:e2e` };
  app = await createGatewayApp(loadConfig({ ...env, PREDICT_TIMEOUT_MS: '30000', RATE_LIMIT_PER_MINUTE: '100000' }), { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  key = (await app.get(ApiKeysService).create({ role: 'screening', name: 'e2e' })).secret;

  worker = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/inference-worker/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, INFERENCE_WORKER_METRICS_PORT: '0', INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'model-cache'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout?.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  worker.stderr?.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  await waitFor('a ready inference worker', async () => {
    const health = await (await fetch(`${base}/health`)).json();
    return health.modelLoaded ? health : undefined;
  }, 180_000);
}, 240_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker!.once('exit', resolve));
  }
  await app?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('gateway + inference worker', () => {
  it('screens 50 recordings with the same labels as the CLI, and fails a corrupt file alone with its code', async () => {
    const health = await (await fetch(`${base}/health`)).json();
    const modelVersion: string = health.modelVersions[0];
    const corrupt = path.join(workDir, 'corrupt.flac');
    writeFileSync(corrupt, readFileSync(files[0]!).subarray(0, 3000));

    const body = new FormData();
    for (const file of [...files, corrupt]) body.append('files', new Blob([new Uint8Array(readFileSync(file))]), path.basename(file));
    const created = await fetch(`${base}/api/v1/batches`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body });
    const batch = await created.json();
    expect(created.status).toBe(202);
    expect(batch.total).toBe(51);

    const status = await waitFor('the batch to complete', async () => {
      const current = await (await fetch(`${base}${batch.statusUrl}`, { headers: { Authorization: `Bearer ${key}` } })).json();
      return current.status === 'completed' ? current : undefined;
    }, 300_000);
    expect(status).toMatchObject({ total: 51, done: 51, succeeded: 50, failed: 1 });

    const results = await (await fetch(`${base}${batch.resultsUrl}?limit=100`, { headers: { Authorization: `Bearer ${key}` } })).json();
    const byFile = new Map<string, { label: string | null; status: string; modelVersion: string | null; error: { code: string } | null }>(
      results.items.map((p: { fileName: string }) => [p.fileName, p]),
    );
    const broken = byFile.get('corrupt.flac')!;
    expect(broken.status).toBe('failed');
    expect(broken.error?.code).toMatch(/^(CORRUPT_AUDIO|TOO_SHORT)$/);

    const cli = spawnSync(process.execPath, [path.join(ROOT, 'bin/heartbeat.js'), 'classify', '--format', 'jsonl', '--no-progress', '--model', path.join(ROOT, 'models', modelVersion), ...files], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(cli.status, cli.stderr).toBe(0);
    const cliLabels = new Map<string, string>(
      cli.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { file: string; label: string })
        .map((row) => [path.basename(row.file), row.label]),
    );
    expect(cliLabels.size).toBe(50);
    const gatewayLabels = new Map(files.map((file) => [path.basename(file), byFile.get(path.basename(file))?.label]));
    expect(Object.fromEntries(gatewayLabels)).toEqual(Object.fromEntries(cliLabels));
    expect([...byFile.values()].filter((p) => p.status === 'succeeded').every((p) => p.modelVersion === modelVersion)).toBe(true);
  });
});
