import { describe, expect, it } from 'vitest';
import { cosineLearningRate } from './trainer';

describe('learning-rate schedule', () => {
  const params = { epochs: 5, learningRate: 1e-3, finalLearningRate: 1e-4 };

  it('starts at the initial rate and ends at the final rate', () => {
    expect(cosineLearningRate(1, params)).toBeCloseTo(1e-3, 10);
    expect(cosineLearningRate(5, params)).toBeCloseTo(1e-4, 10);
  });

  it('is half way at the middle epoch and never increases', () => {
    expect(cosineLearningRate(3, params)).toBeCloseTo(5.5e-4, 10);
    for (let e = 2; e <= 5; e++) expect(cosineLearningRate(e, params)).toBeLessThanOrEqual(cosineLearningRate(e - 1, params));
  });

  it('stays constant for a single epoch', () => {
    expect(cosineLearningRate(1, { ...params, epochs: 1 })).toBe(1e-3);
  });

  it('follows the time budget when it is spent faster than the epochs', () => {
    const timed = { ...params, epochs: 30, maxMinutes: 40 };
    expect(cosineLearningRate(3, timed, 20)).toBeCloseTo(5.5e-4, 10);
    expect(cosineLearningRate(3, timed, 40)).toBeCloseTo(1e-4, 10);
    expect(cosineLearningRate(3, timed, 0)).toBeGreaterThan(9e-4);
  });
});
