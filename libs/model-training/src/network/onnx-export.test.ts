import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededValues } from './backend-comparison.test-support';
import { initTfBackend } from './backend';
import { buildHeartSoundCnn } from './cnn';
import { exportToOnnx } from './onnx-export';

const PARITY_TOLERANCE = 1e-4;

/** Replaces every weight (including batch-norm moving statistics) with seeded non-trivial values. */
function randomiseWeights(model: tf.LayersModel, seed: number): void {
  const weights = model.weights.map((weight, i) => {
    const shape = weight.shape as number[];
    const values = seededValues(tf.util.sizeFromShape(shape), seed + i);
    const isVariance = weight.name.includes('moving_variance');
    const isGamma = weight.name.includes('gamma');
    const adjusted = values.map((v) => (isVariance ? 0.2 + Math.abs(v) : isGamma ? 1 + 0.5 * v : 0.3 * v));
    return tf.tensor(adjusted, shape);
  });
  model.setWeights(weights);
  tf.dispose(weights);
}

async function runOnnx(bytes: Uint8Array, input: Float32Array, shape: number[]) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const outputs = await session.run({ mel: new ort.Tensor('float32', input, shape) });
    return {
      logit: outputs.logit.data as Float32Array,
      probability: outputs.probability.data as Float32Array,
      dims: outputs.logit.dims,
    };
  } finally {
    await session.release();
  }
}

describe('exportToOnnx', () => {
  beforeAll(async () => {
    await initTfBackend('wasm');
  });

  it('produces a model whose logits match tfjs within 1e-4 on a batch of random windows', async () => {
    const model = buildHeartSoundCnn({ seed: 5 });
    randomiseWeights(model, 100);
    const batch = 5;
    const input = seededValues(batch * 251 * 64, 9);
    const expected = tf.tidy(() =>
      (model.predict(tf.tensor4d(input, [batch, 251, 64, 1])) as tf.Tensor).dataSync(),
    );
    const onnx = await runOnnx(exportToOnnx(model), input, [batch, 251, 64, 1]);
    expect(onnx.dims).toEqual([batch, 1]);
    for (let i = 0; i < batch; i++)
      expect(Math.abs(onnx.logit[i] - expected[i])).toBeLessThan(PARITY_TOLERANCE);
    model.dispose();
  });

  it('adds a probability output equal to the sigmoid of the logit', async () => {
    const model = buildHeartSoundCnn({ seed: 6 });
    const input = seededValues(2 * 251 * 64, 3);
    const onnx = await runOnnx(exportToOnnx(model), input, [2, 251, 64, 1]);
    for (let i = 0; i < 2; i++)
      expect(onnx.probability[i]).toBeCloseTo(1 / (1 + Math.exp(-onnx.logit[i])), 6);
    model.dispose();
  });

  it('keeps a final sigmoid layer as the probability and exposes its input as the logit', async () => {
    const input = tf.input({ shape: [16, 8, 1] });
    const conv = tf.layers
      .conv2d({
        filters: 3,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      })
      .apply(input);
    const pooled = tf.layers.globalAveragePooling2d({}).apply(conv);
    const output = tf.layers
      .dense({
        units: 1,
        activation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        biasInitializer: 'ones',
      })
      .apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const values = seededValues(3 * 16 * 8, 4);
    const expected = tf.tidy(() =>
      (model.predict(tf.tensor4d(values, [3, 16, 8, 1])) as tf.Tensor).dataSync(),
    );
    const onnx = await runOnnx(exportToOnnx(model), values, [3, 16, 8, 1]);
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(onnx.probability[i] - expected[i])).toBeLessThan(PARITY_TOLERANCE);
      expect(1 / (1 + Math.exp(-onnx.logit[i]))).toBeCloseTo(expected[i], 5);
    }
    model.dispose();
  });

  it('refuses a layer type it does not know, naming the layer', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [4, 4, 1], name: 'flatten_me' }),
        tf.layers.dense({ units: 1 }),
      ],
    });
    expect(() => exportToOnnx(model)).toThrow(/flatten_me of type Flatten is not supported/);
    model.dispose();
  });
});
