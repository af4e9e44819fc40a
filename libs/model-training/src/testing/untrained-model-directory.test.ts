import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRecordingScreener, readModelManifest, WINDOW_VALUES } from '@heartbeat/model';
import { createUntrainedModelDirectory } from '@heartbeat/model-training/testing';

describe('createUntrainedModelDirectory', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('writes a model version directory the screening path loads with both runtimes', async () => {
    const dir = await createUntrainedModelDirectory(await mkdtemp(join(tmpdir(), 'untrained-')), '0.0.1');
    dirs.push(dir);
    expect((await readdir(dir)).sort()).toEqual([
      'MODEL_CARD.md',
      'heartbeat-model.json',
      'metrics.json',
      'model.json',
      'model.onnx',
      'weights.bin',
    ]);
    expect(readModelManifest(dir)).toMatchObject({
      version: '0.0.1',
      training: { datasetFingerprint: 'untrained-0.0.1' },
    });
    for (const backend of ['onnx', 'tfjs'] as const) {
      const screener = await loadRecordingScreener(dir, { backend });
      expect(screener.manifest.version).toBe('0.0.1');
      await screener.dispose();
    }
  });

  it('gives different networks for different seeds', async () => {
    const a = await createUntrainedModelDirectory(await mkdtemp(join(tmpdir(), 'untrained-')), '0.0.2', {
      seed: 1,
    });
    const b = await createUntrainedModelDirectory(await mkdtemp(join(tmpdir(), 'untrained-')), '0.0.3', {
      seed: 2,
    });
    dirs.push(a, b);
    const { loadWindowClassifier } = await import('@heartbeat/model');
    const input = new Float32Array(WINDOW_VALUES).map((_, i) => Math.sin(i / 7));
    const [ca, cb] = await Promise.all([loadWindowClassifier(a), loadWindowClassifier(b)]);
    const [la, lb] = await Promise.all([ca.predictLogits(input, 1), cb.predictLogits(input, 1)]);
    expect(la[0]).not.toBeCloseTo(lb[0], 4);
    await Promise.all([ca.dispose(), cb.dispose()]);
  });
});
