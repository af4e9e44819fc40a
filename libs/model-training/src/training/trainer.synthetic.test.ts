import { describe, expect, it } from 'vitest';
import { initTfBackend } from '../network/backend';
import { buildHeartSoundCnn, networkInputShape } from '../network/cnn';
import {
  COMPACT_MODEL_INPUT,
  gaussian,
  type LabelledRecording,
  MODEL_SAMPLE_RATE,
  type ModelInputSpec,
  seededRandom,
} from '@heartbeat/model';
import type { ConditionedRecording } from './conditioned-signals';
import { trainWindowClassifier } from './trainer';

/**
 * A toy phonocardiogram: S1/S2-like 40 ms bursts at a random heart rate; "abnormal" ones add a
 * systolic murmur (band-limited noise between S1 and S2).
 */
function syntheticHeartSound(abnormal: boolean, seed: number, seconds = 8): Float32Array {
  const random = seededRandom(seed);
  const signal = new Float32Array(seconds * MODEL_SAMPLE_RATE);
  const beat = (0.6 + 0.4 * random()) * MODEL_SAMPLE_RATE;
  const burst = (start: number, frequency: number) => {
    for (let i = 0; i < 80 && start + i < signal.length; i++) {
      signal[start + i] +=
        Math.sin((2 * Math.PI * frequency * i) / MODEL_SAMPLE_RATE) * Math.sin((Math.PI * i) / 80);
    }
  };
  for (let start = Math.floor(random() * beat); start < signal.length; start += beat) {
    const s1 = Math.floor(start);
    burst(s1, 60);
    burst(s1 + Math.floor(0.3 * MODEL_SAMPLE_RATE), 90);
    if (abnormal) {
      let smoothed = 0;
      for (let i = 100; i < 0.28 * MODEL_SAMPLE_RATE && s1 + i < signal.length; i++) {
        smoothed = 0.7 * smoothed + 0.3 * gaussian(random);
        signal[s1 + i] += 0.35 * smoothed;
      }
    }
  }
  for (let i = 0; i < signal.length; i++) signal[i] += 0.02 * gaussian(random);
  return signal;
}

function syntheticSet(count: number, seed: number): ConditionedRecording[] {
  return Array.from({ length: count }, (_, i) => {
    const abnormal = i % 2 === 1;
    const recording: LabelledRecording = {
      id: `s${seed}-${i}`,
      path: '',
      label: abnormal ? 'abnormal' : 'normal',
      subset: i % 4 < 2 ? 'x' : 'y',
    };
    return { recording, signal: syntheticHeartSound(abnormal, seed * 1000 + i) };
  });
}

describe('training loop', () => {
  it('learns murmurs vs clean heart sounds on a small synthetic set', async () => {
    await initTfBackend('wasm');
    const outcome = await trainWindowClassifier({
      training: syntheticSet(24, 1),
      validation: syntheticSet(16, 2),
      buildModel: () => buildHeartSoundCnn({ blockFilters: [4, 8, 8], seed: 3 }),
      params: {
        epochs: 4,
        windowsPerEpoch: 96,
        batchSize: 16,
        learningRate: 5e-3,
        finalLearningRate: 1e-3,
        patience: 4,
      },
    });
    expect(outcome.history).toHaveLength(4);
    expect(outcome.validationMetrics.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(outcome.validationMetrics.auc).toBeGreaterThanOrEqual(0.95);
    expect(Number.isFinite(outcome.calibration.slope)).toBe(true);
    outcome.model.dispose();
  }, 120_000);

  it('learns them as well with the compact input normalised over the heart sounds', async () => {
    await initTfBackend('wasm');
    const modelInput: ModelInputSpec = { ...COMPACT_MODEL_INPUT, normalisation: 'heart-sounds' };
    const outcome = await trainWindowClassifier({
      training: syntheticSet(24, 1),
      validation: syntheticSet(16, 2),
      modelInput,
      buildModel: () =>
        buildHeartSoundCnn({ blockFilters: [4, 8, 8], seed: 3, inputShape: networkInputShape(modelInput) }),
      params: {
        epochs: 4,
        windowsPerEpoch: 96,
        batchSize: 16,
        learningRate: 5e-3,
        finalLearningRate: 1e-3,
        patience: 4,
      },
    });
    expect(outcome.validationMetrics.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(outcome.validationMetrics.auc).toBeGreaterThanOrEqual(0.95);
    outcome.model.dispose();
  }, 120_000);
});
