import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfBackend } from './backend';
import { buildHeartSoundCnn, countMultiplyAccumulates } from './cnn';
import { compileHeartSoundCnn } from './logit-loss';
import { tonesAndChirps } from './synthetic-spectrograms.test-support';

describe('buildHeartSoundCnn', () => {
  beforeAll(async () => {
    await initTfBackend('wasm');
  });

  it('stays within the budget of 50-100k parameters and 30M multiply-accumulates (60 MFLOP) per window', () => {
    const model = buildHeartSoundCnn();
    expect(model.countParams()).toBeGreaterThanOrEqual(50_000);
    expect(model.countParams()).toBeLessThanOrEqual(100_000);
    expect(countMultiplyAccumulates(model)).toBeLessThanOrEqual(30e6);
    model.dispose();
  });

  it('maps a batch of [251, 64, 1] log-mel windows to one logit per window', () => {
    const model = buildHeartSoundCnn();
    expect(model.inputs[0].shape).toEqual([null, 251, 64, 1]);
    const logits = tf.tidy(() => model.predict(tf.zeros([3, 251, 64, 1])) as tf.Tensor);
    expect(logits.shape).toEqual([3, 1]);
    logits.dispose();
    model.dispose();
  });

  it('puts ReLU before every max pooling layer', () => {
    const model = buildHeartSoundCnn();
    const classes = model.layers.map((layer) => layer.getClassName());
    classes.forEach((name, i) => {
      if (name === 'MaxPooling2D') expect(classes[i - 1]).toBe('ReLU');
    });
    model.dispose();
  });

  it('builds identical initial weights from the same seed and different ones from another seed', () => {
    const weightsOf = (seed: number) => {
      const model = buildHeartSoundCnn({ seed });
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    expect(weightsOf(7)).toEqual(weightsOf(7));
    expect(weightsOf(7)).not.toEqual(weightsOf(8));
  });

  it('learns steady tones vs chirps to at least 95% held-out accuracy on wasm with fit and class weights', async () => {
    const frames = 48;
    const bands = 24;
    const model = buildHeartSoundCnn({
      inputShape: [frames, bands, 1],
      blockFilters: [8, 16],
      dropoutRate: 0.1,
      seed: 3,
    });
    compileHeartSoundCnn(model, { learningRate: 0.01 });
    const train = tonesAndChirps(128, frames, bands, 1, 0.3);
    const heldOut = tonesAndChirps(100, frames, bands, 2);
    await model.fit(train.windows, train.labels, {
      epochs: 8,
      batchSize: 16,
      // The examples already come in random order; tfjs would shuffle with the unseeded Math.random,
      // which made this test fail now and then.
      shuffle: false,
      classWeight: { 0: 1, 1: 7 / 3 },
      verbose: 0,
    });
    const logits = tf.tidy(() => model.predict(heldOut.windows) as tf.Tensor);
    const predicted = Array.from(logits.dataSync()).map((z) => (z > 0 ? 1 : 0));
    const accuracy = predicted.filter((p, i) => p === heldOut.labelValues[i]).length / predicted.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    tf.dispose([logits, train.windows, train.labels, heldOut.windows, heldOut.labels]);
    model.dispose();
  });
});
