import { describe, expect, it } from 'vitest';
import {
  areaUnderRoc,
  binaryMetrics,
  confusionMatrix,
  expectedCalibrationError,
  rocCurve,
  thresholdMaximisingMacc,
  thresholdMaximisingSiteMacc,
} from './binary-metrics';

describe('binary metrics', () => {
  const labels = [1, 1, 1, 0, 0, 0, 0, 1];
  const probabilities = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1, 0.4, 0.7];

  it('counts the confusion matrix by hand', () => {
    const predicted = probabilities.map((p) => (p >= 0.5 ? 1 : 0));
    expect(confusionMatrix(labels, predicted)).toEqual({
      truePositive: 3,
      falsePositive: 1,
      trueNegative: 3,
      falseNegative: 1,
    });
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

  it('picks the threshold that is best for each site on average, not for the sites pooled', () => {
    // Site A: mostly abnormal, scores high overall; site B: mostly normal, scores low overall. Within
    // each site the ranking is perfect, with A's cut at 0.75 and B's at 0.25.
    const labels = [1, 1, 1, 1, 0, 0, 0, /* B */ 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const scores = [
      0.95, 0.9, 0.85, 0.8, 0.7, 0.65, 0.6, 0.4, 0.35, 0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.04, 0.03, 0.02,
    ];
    const sites = [...'AAAAAAA', ...'BBBBBBBBBBBB'];
    const pooled = thresholdMaximisingMacc(labels, scores);
    const perSite = thresholdMaximisingSiteMacc(labels, scores, sites);
    expect(perSite.sites).toEqual(['A', 'B']);
    // No threshold separates both sites. Cutting at A's boundary makes A perfect (MAcc 1) and flags
    // nothing in B (0.5); cutting at B's boundary is the mirror image: 0.75 either way, and every
    // threshold in between flags all of A and misses some of B's abnormal records.
    expect(perSite.macc).toBeCloseTo(0.75, 12);
    const mean = (t: number) =>
      (binaryMetrics(labels.slice(0, 7), scores.slice(0, 7), t).macc +
        binaryMetrics(labels.slice(7), scores.slice(7), t).macc) /
      2;
    expect(mean(perSite.threshold)).toBeCloseTo(0.75, 12);
    expect(pooled.macc).toBeGreaterThan(mean(pooled.threshold));
  });

  it('falls back to the pooled threshold when fewer than two sites have enough of both labels', () => {
    const labels = [0, 0, 0, 1, 1, 1, 1, 0];
    const scores = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9, 0.6, 0.5];
    const result = thresholdMaximisingSiteMacc(labels, scores, [...'AAAAAAAB']);
    expect(result.sites).toEqual(['A']);
    expect(result.threshold).toBe(thresholdMaximisingMacc(labels, scores).threshold);
  });

  it('rejects labels and scores of different lengths', () => {
    expect(() => areaUnderRoc([1, 0], [0.5])).toThrow(/differ in length/);
  });
});
