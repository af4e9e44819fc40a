// The shipped model through the registry: registered from models/ on an empty registry, downloaded
// back from S3, served through the host's dynamic batcher, and answering exactly as the CLI does.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { connectDatabase, ModelVersionsRepository, type DatabaseConnection } from '@heartbeat/db';
import {
  bundledModelDirs,
  decideFromWindowLogits,
  loadRecordingScreener,
  prepareRecording,
} from '@heartbeat/model';
import { ObjectStorage } from '@heartbeat/storage';
import { createClassifierLoader, ModelHost } from './model-host';
import { ModelRegistry } from './model-registry';
import { ownDatabaseEnv } from '../../../test/own-database';

const FIXTURES = resolve(__dirname, '../../audio/test/fixtures');
const shipped = bundledModelDirs();

let connection: DatabaseConnection;
let storage: ObjectStorage;
let cacheDir: string;

beforeAll(async () => {
  const config = loadConfig(await ownDatabaseEnv());
  connection = connectDatabase(config.db.url);
  storage = ObjectStorage.fromSettings(config.s3);
  cacheDir = await mkdtemp(join(tmpdir(), 'bundled-model-'));
});

afterAll(async () => {
  storage.close();
  await connection.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe.skipIf(shipped.length === 0)('the shipped model', () => {
  it('is registered on first start and serves the same answers as the CLI screener', async () => {
    const registry = new ModelRegistry({
      modelVersions: new ModelVersionsRepository(connection.db),
      artifacts: storage,
      publisher: { publish: async () => 0 },
    });
    const promoted = await registry.ensureBundledModelRegistered();
    expect(promoted.version).toBe((await loadRecordingScreener(shipped[0])).manifest.version);
    const host = new ModelHost({
      materialise: (version) => registry.materialise(version, cacheDir),
      loadClassifier: createClassifierLoader({ runtime: 'auto' }),
      batching: { maxBatchSize: 32, maxWaitMs: 2 },
    });
    await host.load(promoted.version);
    const cli = await loadRecordingScreener(shipped[0]);
    try {
      for (const file of ['a0238.flac', 'b0225.flac', 'e01440.flac']) {
        const bytes = new Uint8Array(await readFile(join(FIXTURES, file)));
        const lease = host.acquire()!;
        let served;
        try {
          const prepared = await prepareRecording(bytes, {}, lease.value.input);
          const logits = await lease.value.batcher.predictLogits(prepared.features, prepared.windowCount);
          served = decideFromWindowLogits(prepared, logits, lease.value.manifest, lease.value.cycleModel);
        } finally {
          // A failure above must not leave the lease held, or host.close() waits for it forever.
          lease.release();
        }
        const expected = await cli.screen(bytes);
        expect(served.label).toBe(expected.label);
        expect(served.probability).toBeCloseTo(expected.probability, 6);
      }
    } finally {
      await cli.dispose();
      await host.close();
    }
  });
});
