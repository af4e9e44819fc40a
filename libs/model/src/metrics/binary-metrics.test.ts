import { describe, expect, it } from 'vitest';
import {
  areaUnderRoc,
  binaryMetrics,
  confusionMatrix,
  expectedCalibrationError,
  rocCurve,
  thresholdMaximisingMacc,
} from './binary-metrics';

describe('binary metrics', () => {
  const labels = [1, 1, 1, 0, 0, 0, 0, 1];
  const probabilities = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1, 0.4, 0.7];

  it('counts the confusion matrix by hand', () => {
    const predicted = probabilities.map((p) => (p >= 0.5 ? 1 : 0));
    expect(confusionMatrix(labels, predicted)).toEqual({ truePositive: 3, falsePositive: 1, trueNegative: 3, falseNegative: 1 });
  });

  it('computes accuracy, precision, sensitivity, specificity, F1 and MAcc from that matrix', () => {
    const m = binaryMetrics(labels, probabilities, 0.5);
    expect(m.accuracy).toBeCloseTo(6 / 8);
    expect(m.precision).toBeCloseTo(3 / 4);
    expect(m.sensitivity).toBeCloseTo(3 / 4);
    expect(m.specificity).toBeCloseTo(3 / 4);
    expect(m.f1).toBeCloseTo(3 / 4);
    expect(m.macc).toBeCloseTo(3 / 4);
  });

  it('computes AUC as the share of positive-negative pairs ranked correctly', () => {
    // Positives 0.9 0.8 0.3 0.7 vs negatives 0.6 0.2 0.1 0.4: 0.3 loses to 0.6 and 0.4 -> 14/16.
    expect(areaUnderRoc(labels, probabilities)).toBeCloseTo(14 / 16);
  });

  it('counts a tie between a positive and a negative as one half', () => {
    expect(areaUnderRoc([1, 0], [0.5, 0.5])).toBeCloseTo(0.5);
    expect(areaUnderRoc([1, 0, 0], [0.5, 0.5, 0.1])).toBeCloseTo(0.75);
  });

  it('returns NaN for AUC when only one class is present', () => {
    expect(areaUnderRoc([1, 1], [0.2, 0.3])).toBeNaN();
  });

  it('draws the ROC curve from (0,0) to (1,1)', () => {
    const roc = rocCurve(labels, probabilities);
    expect(roc[0]).toMatchObject({ falsePositiveRate: 0, truePositiveRate: 0 });
    expect(roc[roc.length - 1]).toMatchObject({ falsePositiveRate: 1, truePositiveRate: 1 });
    expect(roc).toHaveLength(labels.length + 1);
  });

  it('finds zero calibration error for perfectly calibrated bins', () => {
    expect(expectedCalibrationError([1, 0, 1, 0], [0.55, 0.55, 0.55, 0.55])).toBeCloseTo(0.05);
    expect(expectedCalibrationError([1, 1, 0, 0], [1, 1, 0, 0])).toBeCloseTo(0);
  });

  it('chooses a threshold that separates separable scores perfectly', () => {
    const { threshold, macc } = thresholdMaximisingMacc([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9]);
    expect(macc).toBe(1);
    expect(threshold).toBeGreaterThan(0.2);
    expect(threshold).toBeLessThanOrEqual(0.7);
    expect(binaryMetrics([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], threshold).macc).toBe(1);
  });

  it('rejects labels and scores of different lengths', () => {
    expect(() => areaUnderRoc([1, 0], [0.5])).toThrow(/differ in length/);
  });
});
