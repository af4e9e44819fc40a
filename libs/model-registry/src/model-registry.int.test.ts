import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import {
  AuditRepository,
  connectDatabase,
  ModelVersionsRepository,
  type DatabaseConnection,
} from '@heartbeat/db';
import { loadWindowClassifier, readModelManifest } from '@heartbeat/model';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { MODEL_PROMOTED_CHANNEL, parseModelPromotedEvent, type ModelPromotedEvent } from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { ModelRegistry } from './model-registry';
import { ownDatabaseEnv } from '../../../test/own-database';

let connection: DatabaseConnection;
let storage: ObjectStorage;
let redis: Redis;
let subscriber: Redis;
let registry: ModelRegistry;
let workDir: string;
let bundledRoot: string;
const announcements: ModelPromotedEvent[] = [];

beforeAll(async () => {
  const config = loadConfig(await ownDatabaseEnv());
  connection = connectDatabase(config.db.url);
  storage = ObjectStorage.fromSettings(config.s3);
  redis = new Redis(config.redis.url);
  subscriber = redis.duplicate();
  subscriber.on('message', (channel: string, message: string) => {
    if (channel === MODEL_PROMOTED_CHANNEL) announcements.push(parseModelPromotedEvent(message));
  });
  await subscriber.subscribe(MODEL_PROMOTED_CHANNEL);
  workDir = await mkdtemp(join(tmpdir(), 'registry-int-'));
  bundledRoot = join(workDir, 'models');
  await createUntrainedModelDirectory(join(bundledRoot, '2.0.0'), '2.0.0', { seed: 1 });
  await createUntrainedModelDirectory(join(bundledRoot, '2.1.0'), '2.1.0', {
    seed: 2,
    datasetFingerprint: 'abc123',
  });
  await createUntrainedModelDirectory(join(workDir, 'candidate'), '2.2.0', { seed: 3 });
  registry = new ModelRegistry({
    modelVersions: new ModelVersionsRepository(connection.db),
    artifacts: storage,
    publisher: redis,
    audit: new AuditRepository(connection.db),
    bundledModelsRoot: bundledRoot,
  });
});

afterAll(async () => {
  subscriber.disconnect();
  redis.disconnect();
  storage.close();
  await connection.close();
  await rm(workDir, { recursive: true, force: true });
});

async function announcementFor(version: string): Promise<ModelPromotedEvent> {
  for (let i = 0; i < 100; i++) {
    const event = announcements.find((e) => e.version === version);
    if (event) return event;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no announcement for ${version}`);
}

describe('model registry', () => {
  it('registers and promotes the newest bundled version on first start', async () => {
    const promoted = await registry.ensureBundledModelRegistered();
    expect(promoted).toMatchObject({ version: '2.1.0', status: 'promoted', datasetFingerprint: 'abc123' });
    expect(promoted.metrics).toMatchObject({ version: '2.1.0', note: 'untrained network for tests' });
    expect(promoted.artifactKeys).toMatchObject({
      manifest: 'models/2.1.0/heartbeat-model.json',
      onnx: 'models/2.1.0/model.onnx',
      tfjs: 'models/2.1.0/model.json',
      tfjsWeights: 'models/2.1.0/weights.bin',
      metrics: 'models/2.1.0/metrics.json',
      card: 'models/2.1.0/MODEL_CARD.md',
    });
    expect(await storage.head('models/2.1.0/model.onnx')).toMatchObject({ key: 'models/2.1.0/model.onnx' });
    expect((await announcementFor('2.1.0')).artifactKeys.onnx).toBe('models/2.1.0/model.onnx');
  });

  it('registers the older shipped version as a candidate and keeps serving the promoted one on later starts', async () => {
    const again = await registry.ensureBundledModelRegistered();
    expect(again.version).toBe('2.1.0');
    const statuses = (await registry.list()).map((row) => [row.version, row.status]).sort();
    expect(statuses).toEqual([
      ['2.0.0', 'candidate'],
      ['2.1.0', 'promoted'],
    ]);
  });

  it('makes a newer shipped version a candidate on a later start without promoting it', async () => {
    await createUntrainedModelDirectory(join(bundledRoot, '2.3.0'), '2.3.0', { seed: 4 });
    const serving = await registry.ensureBundledModelRegistered();
    expect(serving.version).toBe('2.1.0');
    expect((await registry.list()).find((row) => row.version === '2.3.0')).toMatchObject({
      status: 'candidate',
    });
  });

  it('registers a directory as a candidate once; registering it again changes nothing', async () => {
    const first = await registry.registerModelDirectory(join(workDir, 'candidate'));
    expect(first).toMatchObject({ created: true, modelVersion: { version: '2.2.0', status: 'candidate' } });
    const second = await registry.registerModelDirectory(join(workDir, 'candidate'));
    expect(second).toMatchObject({ created: false, modelVersion: { id: first.modelVersion.id } });
  });

  it('materialises a version into the cache directory, loadable, without leftovers', async () => {
    const cacheDir = join(workDir, 'cache');
    const dir = await registry.materialise('2.2.0', cacheDir);
    expect(dir).toBe(join(cacheDir, '2.2.0'));
    expect(readModelManifest(dir).version).toBe('2.2.0');
    const classifier = await loadWindowClassifier(dir);
    expect(classifier.backend).toBe('onnxruntime-cpu');
    await classifier.dispose();
    expect(await registry.materialise('2.2.0', cacheDir)).toBe(dir);
    expect(await readdir(cacheDir)).toEqual(['2.2.0']);
  });

  it('uploads the files of a shipped version again when the bucket lost them (a database that outlived its bucket)', async () => {
    const row = (await registry.findByVersion('2.1.0'))!;
    for (const key of Object.values(row.artifactKeys)) await storage.delete(key);
    await registry.ensureBundledModelRegistered();
    const dir = await registry.materialise('2.1.0', join(workDir, 'cache-after-wipe'));
    expect(readModelManifest(dir).version).toBe('2.1.0');
  });

  it('names the missing file and what to do when a version that is not shipped lost its files', async () => {
    const row = (await registry.findByVersion('2.2.0'))!;
    const onnx = Object.values(row.artifactKeys).find((key) => key.endsWith('.onnx'))!;
    await storage.delete(onnx);
    await expect(registry.materialise('2.2.0', join(workDir, 'cache-missing'))).rejects.toMatchObject({
      code: 'MODEL_ARTIFACTS_MISSING',
      message: expect.stringMatching(
        new RegExp(`${onnx.replaceAll('.', '\\.')} is missing from object storage.*Restore the bucket`),
      ),
    });
  });

  it('refuses to materialise a version that is not registered', async () => {
    await expect(registry.materialise('9.9.9', join(workDir, 'cache'))).rejects.toMatchObject({
      code: 'MODEL_VERSION_NOT_FOUND',
    });
  });

  it('promotes a version, retiring the previous one, and announces it on Redis', async () => {
    const outcome = await registry.promote('2.2.0', { reason: 'better MAcc', actor: 'test' });
    expect(outcome).toMatchObject({
      changed: true,
      announced: true,
      previous: { version: '2.1.0', status: 'retired' },
    });
    expect((await registry.findPromoted())?.version).toBe('2.2.0');
    expect(await announcementFor('2.2.0')).toMatchObject({ previousVersion: '2.1.0' });
    const audit = await new AuditRepository(connection.db).list({
      action: 'model.promoted',
      subjectId: '2.2.0',
    });
    expect(audit.items[0].details).toMatchObject({
      actor: 'test',
      reason: 'better MAcc',
      previousVersion: '2.1.0',
    });
  });

  it('does nothing when asked to promote the version already promoted', async () => {
    expect(await registry.promote('2.2.0')).toMatchObject({ changed: false, announced: false });
  });

  it('rolls back to the version that served before', async () => {
    const outcome = await registry.rollback({ actor: 'test' });
    expect(outcome).toMatchObject({ promoted: { version: '2.1.0' }, previous: { version: '2.2.0' } });
    expect(outcome.promoted.statusReason).toBe('rollback from 2.2.0');
  });

  it('refuses to promote an unknown version with a typed error', async () => {
    await expect(registry.promote('7.0.0')).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
  });

  it("stores a version's validation scores with its own calibration when it is registered", async () => {
    const dir = join(workDir, 'scored');
    await createUntrainedModelDirectory(dir, '2.4.0', { seed: 5 });
    const rows = [
      { id: 'a0001', subset: 'training-a', label: 'abnormal', meanLogit: 0.2, cycleLogit: 1, score: 0.7 },
      { id: 'b0001', subset: 'training-b', label: 'normal', meanLogit: -1.5, score: -1.5 },
    ];
    await writeFile(join(dir, 'validation-scores.json'), JSON.stringify(rows));
    const { slope, intercept } = readModelManifest(dir).decision.calibration;
    await registry.registerModelDirectory(dir);
    const stored = await new ModelVersionsRepository(connection.db).listValidationScores('2.4.0');
    expect(stored.map(({ recordId, label, score }) => ({ recordId, label, score }))).toEqual([
      { recordId: 'a0001', label: 'abnormal', score: 0.7 },
      { recordId: 'b0001', label: 'normal', score: -1.5 },
    ]);
    expect(stored[0]!.probability).toBeCloseTo(1 / (1 + Math.exp(-(slope * 0.7 + intercept))), 12);
  });

  it('adds the validation scores of a version registered before it had them at its next registration', async () => {
    const dir = join(workDir, 'late-scores');
    await createUntrainedModelDirectory(dir, '2.5.0', { seed: 6 });
    await registry.registerModelDirectory(dir);
    const repository = new ModelVersionsRepository(connection.db);
    expect(await repository.listValidationScores('2.5.0')).toEqual([]);
    await writeFile(
      join(dir, 'validation-scores.json'),
      JSON.stringify([{ id: 'c0001', subset: 'training-c', label: 'normal', meanLogit: -2 }]),
    );
    expect(await registry.registerModelDirectory(dir)).toMatchObject({ created: false });
    expect(await repository.listValidationScores('2.5.0')).toMatchObject([{ recordId: 'c0001', score: -2 }]);
  });
});
