// End to end on the real stack: the gateway in-process and a real inference worker process. A batch
// of 50 PhysioNet recordings plus one corrupt file completes with the CLI's labels for the 50 and
// the corrupt file failed alone with its error code; a version promoted mid-batch is hot-swapped in
// without a job failing.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '@heartbeat/config';
import { AuditRepository, ModelVersionsRepository, PredictionsRepository } from '@heartbeat/db';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { ModelRegistry } from '@heartbeat/model-registry';
import { ObjectStorage } from '@heartbeat/storage';
import { ApiKeysService } from './auth/api-keys.service';
import { ownDatabaseEnv } from '../../../test/own-database';
import { startService, waitFor, type ServiceProcess } from '../../../test/real-stack';
import { createGatewayApp } from './gateway-app';

const ROOT = path.resolve(__dirname, '../../..');
const DATA = '/work/shared/data/physionet2016';
const PER_SUBSET = 10;
/** The inference worker as deployed by default: a supervisor with one model process per core (two here). */
const WORKER_PROCESSES = 2;

let app: NestExpressApplication;
let config: Config;
let base: string;
let key: string;
let worker: ServiceProcess | undefined;
let workDir: string;
const files: string[] = [];

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'heartbeat-gateway-e2e-'));
  // Copies, so nothing can ever touch the shared data set.
  for (const subset of ['a', 'b', 'c', 'd', 'e']) {
    const folder = path.join(DATA, `training-${subset}`);
    for (const name of readdirSync(folder)
      .filter((n) => n.endsWith('.flac'))
      .sort()
      .slice(0, PER_SUBSET)) {
      copyFileSync(path.join(folder, name), path.join(workDir, name));
      files.push(path.join(workDir, name));
    }
  }
  // Its own database: the hot-swap test promotes a version of its own.
  const integration = await ownDatabaseEnv();
  const env = { ...integration, QUEUE_PREFIX: `${integration.QUEUE_PREFIX}:e2e` };
  config = loadConfig({ ...env, PREDICT_TIMEOUT_MS: '30000', RATE_LIMIT_PER_MINUTE: '100000' });
  app = await createGatewayApp(config, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  key = (await app.get(ApiKeysService).create({ role: 'screening', name: 'e2e' })).secret;

  worker = startService('inference worker', 'apps/inference-worker/src/main.ts', {
    ...env,
    INFERENCE_PROCESSES: String(WORKER_PROCESSES),
    INFERENCE_WORKER_METRICS_PORT: '0',
    INFERENCE_MODEL_CACHE_DIR: path.join(workDir, 'model-cache'),
    LOG_LEVEL: 'warn',
  });
  await waitFor(
    'a ready inference worker',
    async () => {
      const health = await (await fetch(`${base}/health`)).json();
      return health.modelLoaded ? health : undefined;
    },
    { timeoutMs: 180_000, everyMs: 500, services: [worker] },
  );
}, 240_000);

afterAll(async () => {
  await worker?.stop();
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
    for (const file of [...files, corrupt])
      body.append('files', new Blob([new Uint8Array(readFileSync(file))]), path.basename(file));
    const created = await fetch(`${base}/api/v1/batches`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}` },
      body,
    });
    const batch = await created.json();
    expect(created.status).toBe(202);
    expect(batch.total).toBe(51);

    const status = await waitFor(
      'the batch to complete',
      async () => {
        const current = await (
          await fetch(`${base}${batch.statusUrl}`, { headers: { Authorization: `Bearer ${key}` } })
        ).json();
        return current.status === 'completed' ? current : undefined;
      },
      { timeoutMs: 300_000, everyMs: 500, services: [worker] },
    );
    expect(status).toMatchObject({ total: 51, done: 51, succeeded: 50, failed: 1 });

    const results = await (
      await fetch(`${base}${batch.resultsUrl}?limit=100`, { headers: { Authorization: `Bearer ${key}` } })
    ).json();
    const byFile = new Map<
      string,
      { label: string | null; status: string; modelVersion: string | null; error: { code: string } | null }
    >(results.items.map((p: { fileName: string }) => [p.fileName, p]));
    const broken = byFile.get('corrupt.flac')!;
    expect(broken.status).toBe('failed');
    expect(broken.error?.code).toMatch(/^(CORRUPT_AUDIO|TOO_SHORT)$/);

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
        ...files,
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const cliLabels = new Map<string, string>(
      cli.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { file: string; label: string })
        .map((row) => [path.basename(row.file), row.label]),
    );
    expect(cliLabels.size).toBe(50);
    const gatewayLabels = new Map(
      files.map((file) => [path.basename(file), byFile.get(path.basename(file))?.label]),
    );
    expect(Object.fromEntries(gatewayLabels)).toEqual(Object.fromEntries(cliLabels));
    expect(
      [...byFile.values()]
        .filter((p) => p.status === 'succeeded')
        .every((p) => p.modelVersion === modelVersion),
    ).toBe(true);
  });

  it('hot-swaps to a version promoted mid-batch: no job fails and later predictions carry the new version', async () => {
    const headers = { Authorization: `Bearer ${key}` };
    const versions = app.get(ModelVersionsRepository);
    const original = (await versions.findPromoted())!.version;
    const next = `9.9.9-hotswap.${Date.now()}`;
    const redis = new Redis(config.redis.url);
    const registry = new ModelRegistry({
      modelVersions: versions,
      artifacts: app.get(ObjectStorage),
      publisher: redis,
      audit: app.get(AuditRepository),
    });
    await registry.registerModelDirectory(
      await createUntrainedModelDirectory(path.join(workDir, 'hot-swap-model'), next, { seed: 11 }),
    );
    const served = async () =>
      ((await (await fetch(`${base}/health`)).json()) as { modelVersions: string[] }).modelVersions;
    // Six copies of the 50 recordings (~6 s of work for two processes here): the swap, about a second
    // after the promotion, lands well inside the batch.
    const entries = [1, 2, 3, 4, 5, 6].flatMap((copy) =>
      files.map((file) => ({ file, name: `${copy}-${path.basename(file)}` })),
    );
    try {
      const body = new FormData();
      for (const { file, name } of entries)
        body.append('files', new Blob([new Uint8Array(readFileSync(file))]), name);
      // Workers screen each file as soon as it is stored, so a fast service can finish the batch by
      // the time the upload's answer arrives: promote at the first prediction, while files still upload.
      const startedAt = new Date();
      const posted = fetch(`${base}/api/v1/batches`, { method: 'POST', headers, body }).then((response) =>
        response.json(),
      );
      posted.catch(() => undefined); // awaited below
      await waitFor(
        'the first prediction of the batch',
        async () => {
          const counts = await app.get(PredictionsRepository).countByLabel({ from: startedAt });
          return Object.values(counts).some((n) => n > 0) ? true : undefined;
        },
        { timeoutMs: 300_000, everyMs: 500, services: [worker] },
      );
      const promotion = await registry.promote(next, {
        reason: 'hot-swap integration test',
        actor: 'gateway-worker.int.test',
      });
      const batch = await posted;
      expect(batch.total).toBe(entries.length);
      const status = async () =>
        (await (await fetch(`${base}${batch.statusUrl}`, { headers })).json()) as {
          status: string;
          done: number;
          failed: number;
          succeeded: number;
          total: number;
        };

      expect(promotion.changed).toBe(true);
      // Each worker process swaps on its own; presence is refreshed every 5 s, so this is a little after the last swap.
      await waitFor(
        `every worker process to serve ${next}`,
        async () => {
          const versions = await served();
          return versions.length > 0 && versions.every((version) => version === next) ? true : undefined;
        },
        { timeoutMs: 120_000, everyMs: 500, services: [worker] },
      );
      const swappedAt = Date.now();

      const finished = await waitFor(
        'the batch to complete',
        async () => {
          const current = await status();
          return current.status === 'completed' ? current : undefined;
        },
        { timeoutMs: 300_000, everyMs: 500, services: [worker] },
      );
      expect(finished).toMatchObject({
        total: entries.length,
        done: entries.length,
        succeeded: entries.length,
        failed: 0,
      });

      const results = await (
        await fetch(`${base}${batch.resultsUrl}?limit=${entries.length}`, { headers })
      ).json();
      expect(results.items).toHaveLength(entries.length);
      const items = (results.items as { status: string; modelVersion: string; completedAt: string }[]).sort(
        (a, b) => a.completedAt.localeCompare(b.completedAt),
      );
      expect(items.every((p) => p.status === 'succeeded')).toBe(true);
      expect(new Set(items.map((p) => p.modelVersion))).toEqual(new Set([original, next]));
      // Only jobs already running on the old model when it was replaced may finish on it afterwards.
      const oldAfterSwap = items.filter(
        (p) => Date.parse(p.completedAt) > swappedAt && p.modelVersion === original,
      );
      expect(oldAfterSwap.length).toBeLessThanOrEqual(config.inferenceWorker.concurrency * WORKER_PROCESSES);
      expect(items.at(-1)!.modelVersion).toBe(next);

      const predictBody = new FormData();
      predictBody.append(
        'file',
        new Blob([new Uint8Array(readFileSync(files[0]!))]),
        path.basename(files[0]!),
      );
      const predicted = await fetch(`${base}/predict`, { method: 'POST', headers, body: predictBody });
      expect(predicted.status).toBe(200);
      expect(await predicted.json()).toMatchObject({ status: 'succeeded', modelVersion: next });
    } finally {
      redis.disconnect();
    }
  }, 900_000);
});
