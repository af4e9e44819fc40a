import { describe, expect, it } from 'vitest';
import {
  aggregateWindowLogits,
  calibratedProbability,
  decideLabel,
  fitPlattCalibration,
  sigmoid,
} from './record-decision';

describe('record-level decision', () => {
  it('averages window logits', () => {
    expect(aggregateWindowLogits([1, 2, 3])).toBe(2);
  });

  it('refuses a recording with no windows', () => {
    expect(() => aggregateWindowLogits([])).toThrow(/at least one window/);
  });

  it('answers unsure below the quality gate whatever the probability', () => {
    const policy = { calibration: { slope: 1, intercept: 0 }, threshold: 0.5, minimumQuality: 0.3 };
    expect(decideLabel(0.99, 0.1, policy)).toBe('unsure');
    expect(decideLabel(0.99, 0.5, policy)).toBe('abnormal');
    expect(decideLabel(0.2, 0.5, policy)).toBe('normal');
  });

  it('recovers the slope and intercept of data drawn from a logistic model', () => {
    // Deterministic "sampling": label frequencies match the true probabilities at each score.
    const scores: number[] = [];
    const labels: number[] = [];
    for (let s = -4; s <= 4; s += 0.5) {
      const p = sigmoid(0.5 * s - 1);
      const positives = Math.round(p * 200);
      for (let k = 0; k < 200; k++) {
        scores.push(s);
        labels.push(k < positives ? 1 : 0);
      }
    }
    const calibration = fitPlattCalibration(scores, labels, 0);
    expect(calibration.slope).toBeCloseTo(0.5, 1);
    expect(calibration.intercept).toBeCloseTo(-1, 1);
    expect(calibratedProbability(2, calibration)).toBeCloseTo(sigmoid(0), 1);
  });

  it('stays finite on real validation logits where plain Newton steps diverge', () => {
    // Every ninth validation record of a training run (mean logit, label), sorted by score.
    const pairs: [number, number][] = [
      [-2.76, 0],
      [-1.061, 0],
      [-0.639, 0],
      [-0.451, 0],
      [-0.214, 0],
      [-0.103, 0],
      [0.053, 0],
      [0.187, 0],
      [0.364, 0],
      [0.493, 0],
      [0.681, 0],
      [0.799, 0],
      [0.892, 0],
      [0.957, 0],
      [1.065, 0],
      [1.269, 0],
      [1.38, 0],
      [1.56, 0],
      [1.658, 0],
      [1.744, 0],
      [1.812, 0],
      [1.893, 0],
      [1.971, 0],
      [2.122, 0],
      [2.239, 0],
      [2.296, 0],
      [2.424, 0],
      [2.527, 0],
      [2.64, 0],
      [2.727, 0],
      [2.798, 0],
      [2.879, 0],
      [3.022, 0],
      [3.268, 0],
      [3.348, 1],
      [3.543, 0],
      [3.628, 0],
      [3.715, 1],
      [3.821, 0],
      [3.883, 0],
      [3.976, 0],
      [4.049, 1],
      [4.133, 0],
      [4.206, 1],
      [4.294, 1],
      [4.425, 0],
      [4.573, 1],
      [4.732, 1],
      [4.815, 0],
      [5.02, 0],
      [5.125, 0],
      [5.358, 1],
      [5.641, 1],
      [5.846, 1],
      [5.986, 1],
      [6.31, 1],
      [6.652, 1],
      [7.166, 1],
      [7.855, 1],
      [8.681, 1],
    ];
    const calibration = fitPlattCalibration(
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    );
    expect(Number.isFinite(calibration.slope) && Number.isFinite(calibration.intercept)).toBe(true);
    expect(calibration.slope).toBeGreaterThan(0);
    expect(calibration.slope).toBeLessThan(10);
    const probabilities = pairs.map((p) => calibratedProbability(p[0], calibration));
    expect(Math.min(...probabilities)).toBeLessThan(0.2);
    expect(Math.max(...probabilities)).toBeGreaterThan(0.8);
  });
});
