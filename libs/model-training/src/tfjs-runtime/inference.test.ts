import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTfBackend } from '../network/backend';
import { buildHeartSoundCnn } from '../network/cnn';
import { exportToOnnx } from '../network/onnx-export';
import {
  loadWindowClassifier,
  ONNX_MODEL_FILE,
  OnnxWindowClassifier,
  type WindowClassifier,
} from '@heartbeat/model';
import { loadTfjsModel, saveTfjsModel } from './tfjs-model-files';

const WINDOW_VALUES = 251 * 64;

function windows(n: number, seed: number): Float32Array {
  return tf.tidy(
    () => tf.randomNormal([n * WINDOW_VALUES], -6, 2, 'float32', seed).dataSync() as Float32Array,
  );
}

describe('window classifiers', () => {
  let modelDir: string;
  let model: tf.LayersModel;

  beforeAll(async () => {
    await initTfBackend('wasm');
    modelDir = await mkdtemp(join(tmpdir(), 'heartbeat-model-'));
    model = buildHeartSoundCnn({ seed: 11 });
    // One training-mode pass moves the batch-norm statistics away from their initial 0/1.
    const x = tf.randomNormal([8, 251, 64, 1], -6, 2, 'float32', 3);
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    await model.trainOnBatch(x, tf.ones([8, 1]));
    x.dispose();
    await saveTfjsModel(model, modelDir);
    await writeFile(join(modelDir, ONNX_MODEL_FILE), exportToOnnx(model));
  });

  afterAll(async () => {
    model.dispose();
    await rm(modelDir, { recursive: true, force: true });
  });

  it('saveTfjsModel writes model.json and weights.bin that loadTfjsModel reads back to the same weights', async () => {
    expect((await readdir(modelDir)).sort()).toEqual(['model.json', 'model.onnx', 'weights.bin']);
    const loaded = await loadTfjsModel(modelDir);
    const original = model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(loaded.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(original);
    loaded.dispose();
  });

  it('gives the same logits from the onnx and tfjs runtimes for one model directory (within 1e-4)', async () => {
    const batch = windows(6, 21);
    const onnx = await loadWindowClassifier(modelDir, { backend: 'onnx' });
    const tfjs = await loadWindowClassifier(modelDir, { backend: 'tfjs', tfBackend: 'wasm' });
    try {
      const fromOnnx = await onnx.predictLogits(batch, 6);
      const fromTfjs = await tfjs.predictLogits(batch, 6);
      expect(fromOnnx).toHaveLength(6);
      fromOnnx.forEach((logit, i) => expect(Math.abs(logit - fromTfjs[i])).toBeLessThan(1e-4));
    } finally {
      await Promise.all([onnx.dispose(), tfjs.dispose()]);
    }
  });

  it('reports which runtime and device serve predictions', async () => {
    const classifiers: WindowClassifier[] = [
      await loadWindowClassifier(modelDir, { backend: 'onnx' }),
      await loadWindowClassifier(modelDir, { backend: 'tfjs', tfBackend: 'wasm' }),
    ];
    expect(classifiers.map((c) => c.backend)).toEqual(['onnxruntime-cpu', 'tfjs-wasm']);
    await Promise.all(classifiers.map((c) => c.dispose()));
  });

  it('falls back to the CPU provider, saying why, when CUDA is requested but not installed', async () => {
    const classifier = await OnnxWindowClassifier.create(join(modelDir, ONNX_MODEL_FILE), {
      executionProvider: 'cuda',
    });
    expect(classifier.backend).toBe('onnxruntime-cpu');
    expect(classifier.cudaFallbackReason).toMatch(/cuda/i);
    await classifier.dispose();
  });

  it('returns nothing for n = 0', async () => {
    const classifier = await loadWindowClassifier(modelDir);
    expect(await classifier.predictLogits(new Float32Array(0), 0)).toHaveLength(0);
    await classifier.dispose();
  });

  it('rejects a buffer that does not hold exactly the windows asked for (features of another input shape)', async () => {
    const classifier = await loadWindowClassifier(modelDir);
    await expect(classifier.predictLogits(new Float32Array(WINDOW_VALUES), 2)).rejects.toThrow(
      /2 windows of this model hold 32128 values/,
    );
    await expect(classifier.predictLogits(windows(3, 5), 2)).rejects.toThrow(
      /hold 32128 values \(16064 each\), got 48192/,
    );
    await classifier.dispose();
  });

  it('rejects an unknown runtime name', async () => {
    await expect(loadWindowClassifier(modelDir, { backend: 'torch' as 'onnx' })).rejects.toThrow(
      /expected 'onnx' or 'tfjs'/,
    );
  });
});
