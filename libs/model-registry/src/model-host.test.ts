import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cycleModelLogit,
  WINDOW_VALUES,
  writeModelManifest,
  describeModelInput,
  type ModelManifest,
  type WindowClassifier,
} from '@heartbeat/model';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';
import { ModelHost } from './model-host';

/** A classifier whose every logit is a constant, so tests can tell versions apart by their answers. */
class ConstantClassifier implements WindowClassifier {
  disposed = false;
  constructor(
    readonly logit: number,
    readonly backend = 'fake-cpu',
    private readonly broken = false,
  ) {}
  async predictLogits(_batch: Float32Array, n: number): Promise<Float32Array> {
    if (this.broken) throw new Error('corrupt weights');
    return new Float32Array(n).fill(this.logit);
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

const manifest = (version: string): ModelManifest => ({
  schemaVersion: 1,
  name: 'fake',
  version,
  createdAt: new Date(0).toISOString(),
  input: describeModelInput(),
  decision: { calibration: { slope: 1, intercept: 0 }, threshold: 0.5, minimumQuality: 0 },
  artifacts: { tfjs: 'model.json' },
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-host-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

function host(classifiers: Record<string, ConstantClassifier>, swaps: string[] = []) {
  return new ModelHost({
    materialise: async (version) => {
      const dir = join(root, version);
      await mkdir(dir, { recursive: true });
      writeModelManifest(dir, manifest(version));
      return dir;
    },
    loadClassifier: async (dir) => classifiers[dir.slice(root.length + 1)],
    batching: { maxBatchSize: 8, maxWaitMs: 0 },
    onSwap: (current, previous) => swaps.push(`${previous?.version ?? '-'}->${current.version}`),
  });
}

describe('ModelHost', () => {
  it("loads a version's heart-cycle model with its network", async () => {
    const dir = await createUntrainedModelDirectory(join(root, 'with-cycle'), '1.5.0', {
      cycleModel: { logit: 3, weight: 0.5 },
    });
    const modelHost = new ModelHost({
      materialise: async () => dir,
      loadClassifier: async () => new ConstantClassifier(0),
      batching: { maxBatchSize: 8, maxWaitMs: 0 },
    });
    const served = await modelHost.load('1.5.0');
    expect(served.cycleModel?.weight).toBe(0.5);
    expect(cycleModelLogit(served.cycleModel!.model, null)).toBe(3);
    await modelHost.close();
  });

  it('serves a loaded version through its batcher and reports its backend', async () => {
    const models = { '1.0.0': new ConstantClassifier(1.5, 'onnxruntime-cpu') };
    const modelHost = host(models);
    const served = await modelHost.load('1.0.0');
    expect(served).toMatchObject({ version: '1.0.0', backend: 'onnxruntime-cpu' });
    expect(served.cycleModel).toBeUndefined();
    const lease = modelHost.acquire()!;
    expect(
      Array.from(await lease.value.batcher.predictLogits(new Float32Array(2 * WINDOW_VALUES), 2)),
    ).toEqual([1.5, 1.5]);
    lease.release();
    await modelHost.close();
    expect(models['1.0.0'].disposed).toBe(true);
  });

  it('lets a job that started on the old version finish on it, then disposes the old version', async () => {
    const models = { '1.0.0': new ConstantClassifier(1), '1.1.0': new ConstantClassifier(2) };
    const swaps: string[] = [];
    const modelHost = host(models, swaps);
    await modelHost.load('1.0.0');
    const inFlight = modelHost.acquire()!;
    await modelHost.load('1.1.0');
    expect(modelHost.current?.version).toBe('1.1.0');
    expect(modelHost.acquire()!.value.version).toBe('1.1.0');
    expect(modelHost.draining).toBe(1);
    expect(
      Array.from(await inFlight.value.batcher.predictLogits(new Float32Array(WINDOW_VALUES), 1)),
    ).toEqual([1]);
    expect(models['1.0.0'].disposed).toBe(false);
    inFlight.release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(models['1.0.0'].disposed).toBe(true);
    expect(swaps).toEqual(['-->1.0.0', '1.0.0->1.1.0']);
  });

  it('keeps serving the current version when the new one fails its warm-up', async () => {
    const models = { '1.0.0': new ConstantClassifier(1), '2.0.0': new ConstantClassifier(2, 'fake', true) };
    const modelHost = host(models);
    await modelHost.load('1.0.0');
    await expect(modelHost.load('2.0.0')).rejects.toThrow('corrupt weights');
    expect(modelHost.current?.version).toBe('1.0.0');
    expect(models['2.0.0'].disposed).toBe(true);
  });

  it('does nothing when asked to load the version it already serves', async () => {
    const models = { '1.0.0': new ConstantClassifier(1) };
    const swaps: string[] = [];
    const modelHost = host(models, swaps);
    const first = await modelHost.load('1.0.0');
    expect(await modelHost.load('1.0.0')).toBe(first);
    expect(swaps).toHaveLength(1);
  });
});
