import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALIGNED_CYCLE_FEATURE_NAMES, HEART_CYCLE_FEATURE_NAMES } from '@heartbeat/audio';
import { seededRandom } from '../data/random';
import { syntheticHeartRecording } from './synthetic-heart-recording.test-support';
import {
  CYCLE_MODEL_SPECTROGRAM_WINDOW,
  cycleFeatureNames,
  cycleFeaturesOf,
  cycleModelLogit,
  fitCycleModel,
  readCycleModel,
  writeCycleModel,
} from './cycle-model';

function dataset(count: number, seed: number): { features: (Float64Array | null)[]; labels: number[] } {
  const random = seededRandom(seed);
  const labels = Array.from({ length: count }, (_, i) => i % 2);
  return {
    features: labels.map((y) =>
      cycleFeaturesOf(syntheticHeartRecording(y === 1, random), CYCLE_MODEL_SPECTROGRAM_WINDOW),
    ),
    labels,
  };
}

const directory = mkdtempSync(join(tmpdir(), 'heartbeat-cycle-model-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('heart-cycle model', () => {
  const train = dataset(80, 1);
  const model = fitCycleModel(train.features, train.labels, CYCLE_MODEL_SPECTROGRAM_WINDOW);

  it('tells recordings with a systolic murmur from clean ones it has not seen', () => {
    const test = dataset(40, 2);
    const correct = test.features.filter(
      (row, i) => (cycleModelLogit(model, row) > 0 ? 1 : 0) === test.labels[i],
    ).length;
    expect(correct / test.features.length).toBeGreaterThanOrEqual(0.95);
  });

  it('scores a recording without usable cycles at the training medians', () => {
    expect(cycleModelLogit(model, null)).toBe(cycleModelLogit(model, Float64Array.from(model.medians)));
    expect(model.medians).toHaveLength(HEART_CYCLE_FEATURE_NAMES.length);
  });

  it('needs both classes', () => {
    expect(() =>
      fitCycleModel(train.features.slice(0, 3), [1, 1, 1], CYCLE_MODEL_SPECTROGRAM_WINDOW),
    ).toThrow(/normal and abnormal/);
  });

  it('round-trips through its file', () => {
    const file = join(directory, 'cycle-model.json');
    writeCycleModel(file, model);
    const read = readCycleModel(file);
    for (const row of train.features.slice(0, 10))
      expect(cycleModelLogit(read, row)).toBe(cycleModelLogit(model, row));
    expect(read.spectrogramWindowLength).toBe(CYCLE_MODEL_SPECTROGRAM_WINDOW);
  });

  it('reads a file written before the spectrogram window was recorded as fitted with the 40-ms window', () => {
    const file = join(directory, 'model-1.3.0.json');
    const { spectrogramWindowLength: _, ...withoutWindow } = model;
    writeFileSync(file, JSON.stringify(withoutWindow));
    expect(readCycleModel(file).spectrogramWindowLength).toBe(80);
  });

  it('refuses a file fitted on other features, or with a tree pointing nowhere', () => {
    const file = join(directory, 'other.json');
    writeFileSync(file, JSON.stringify({ ...model, featureNames: ['heart rate'] }));
    expect(() => readCycleModel(file)).toThrow(/fitted on other heart-cycle features/);
    const broken = JSON.parse(readFileSync(join(directory, 'cycle-model.json'), 'utf8'));
    broken.trees.trees[0][0] = { feature: 0, threshold: 0, left: 999, right: 1 };
    writeFileSync(file, JSON.stringify(broken));
    expect(() => readCycleModel(file)).toThrow(/refers to a feature or node that does not exist/);
    for (const node of [
      { feature: -1, threshold: 0, left: 1, right: 2 },
      { feature: 0, threshold: '0', left: 1, right: 2 },
      { feature: 0.5, threshold: 0, left: 1, right: 2 },
      { leaf: 1 },
      null,
    ]) {
      broken.trees.trees[0][0] = node;
      writeFileSync(file, JSON.stringify(broken));
      expect(() => readCycleModel(file)).toThrow(/trees\.trees\.0\.0 is neither a split .* nor a leaf/);
    }
    writeFileSync(file, JSON.stringify({ ...model, spectrogramWindowLength: 100 }));
    expect(() => readCycleModel(file)).toThrow(/spectrogramWindowLength: must be one of 80, 128/);
    writeFileSync(file, '{');
    expect(() => readCycleModel(file)).toThrow(/cannot be read as a heart-cycle model/);
  });

  it('fits and reads back a model on the features that line the beats up as well', () => {
    const random = seededRandom(3);
    const labels = Array.from({ length: 60 }, (_, i) => i % 2);
    const features = labels.map((y) =>
      cycleFeaturesOf(
        syntheticHeartRecording(y === 1, random),
        CYCLE_MODEL_SPECTROGRAM_WINDOW,
        undefined,
        undefined,
        'cycle+aligned',
      ),
    );
    expect(features[0]).toHaveLength(HEART_CYCLE_FEATURE_NAMES.length + ALIGNED_CYCLE_FEATURE_NAMES.length);
    const aligned = fitCycleModel(
      features,
      labels,
      CYCLE_MODEL_SPECTROGRAM_WINDOW,
      undefined,
      'cycle+aligned',
    );
    expect(aligned.featureNames).toEqual(cycleFeatureNames('cycle+aligned'));
    const file = join(directory, 'aligned.json');
    writeCycleModel(file, aligned);
    const read = readCycleModel(file);
    expect(read.featureSet).toBe('cycle+aligned');
    expect(cycleModelLogit(read, features[1])).toBe(cycleModelLogit(aligned, features[1]));
    writeFileSync(file, JSON.stringify({ ...aligned, featureSet: undefined }));
    expect(() => readCycleModel(file)).toThrow(/fitted on other heart-cycle features/);
  });

  it('writes no feature set for the original 17 features, so older versions read the file', () => {
    expect('featureSet' in model).toBe(false);
  });
});
