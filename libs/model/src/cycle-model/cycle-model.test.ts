import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEART_CYCLE_FEATURE_NAMES } from '@heartbeat/audio';
import { seededRandom } from '../training/random';
import {
  cycleFeaturesOf,
  cycleModelLogit,
  fitCycleModel,
  readCycleModel,
  writeCycleModel,
} from './cycle-model';

const RATE = 2000;

/** 10 s of S1/S2 bursts at a random rate; abnormal ones carry noise through systole (a murmur). */
function recording(abnormal: boolean, random: () => number): Float32Array {
  const signal = new Float32Array(10 * RATE);
  const beat = Math.round((0.7 + 0.3 * random()) * RATE);
  const systole = Math.round((0.28 + 0.06 * random()) * RATE);
  for (let start = Math.round(0.2 * RATE); start < signal.length; start += beat) {
    for (const [offset, length, hz] of [
      [0, 200, 60],
      [systole, 160, 80],
    ]) {
      for (let i = 0; i < length && start + offset + i < signal.length; i++)
        signal[start + offset + i] +=
          Math.sin((Math.PI * i) / length) * Math.sin((2 * Math.PI * hz * i) / RATE);
    }
    if (abnormal)
      for (let i = 240; i < systole - 40 && start + i < signal.length; i++)
        signal[start + i] += 0.3 * (random() - 0.5) * Math.sin((2 * Math.PI * 150 * i) / RATE);
  }
  for (let i = 0; i < signal.length; i++) signal[i] += 0.02 * (random() - 0.5);
  return signal;
}

function dataset(count: number, seed: number): { features: (Float64Array | null)[]; labels: number[] } {
  const random = seededRandom(seed);
  const labels = Array.from({ length: count }, (_, i) => i % 2);
  return { features: labels.map((y) => cycleFeaturesOf(recording(y === 1, random))), labels };
}

const directory = mkdtempSync(join(tmpdir(), 'heartbeat-cycle-model-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('heart-cycle model', () => {
  const train = dataset(80, 1);
  const model = fitCycleModel(train.features, train.labels);

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
    expect(() => fitCycleModel(train.features.slice(0, 3), [1, 1, 1])).toThrow(/normal and abnormal/);
  });

  it('round-trips through its file', () => {
    const file = join(directory, 'cycle-model.json');
    writeCycleModel(file, model);
    const read = readCycleModel(file);
    for (const row of train.features.slice(0, 10))
      expect(cycleModelLogit(read, row)).toBe(cycleModelLogit(model, row));
  });

  it('refuses a file fitted on other features, or with a tree pointing nowhere', () => {
    const file = join(directory, 'other.json');
    writeFileSync(file, JSON.stringify({ ...model, featureNames: ['heart rate'] }));
    expect(() => readCycleModel(file)).toThrow(/fitted on other heart-cycle features/);
    const broken = JSON.parse(readFileSync(join(directory, 'cycle-model.json'), 'utf8'));
    broken.trees.trees[0][0] = { feature: 0, threshold: 0, left: 999, right: 1 };
    writeFileSync(file, JSON.stringify(broken));
    expect(() => readCycleModel(file)).toThrow(/refers to a feature or node that does not exist/);
    writeFileSync(file, '{');
    expect(() => readCycleModel(file)).toThrow(/cannot be read as a heart-cycle model/);
  });
});
