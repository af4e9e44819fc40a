import { describe, expect, it } from 'vitest';
import { aggregateWindowLogits, calibratedProbability, decideLabel, fitPlattCalibration, sigmoid } from './record-decision';

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
});
