import { describe, expect, it } from 'vitest';
import { cosineLearningRate, fitDecision } from './trainer';

describe('learning-rate schedule', () => {
  const params = { epochs: 5, learningRate: 1e-3, finalLearningRate: 1e-4 };

  it('starts at the initial rate and ends at the final rate', () => {
    expect(cosineLearningRate(1, params)).toBeCloseTo(1e-3, 10);
    expect(cosineLearningRate(5, params)).toBeCloseTo(1e-4, 10);
  });

  it('is half way at the middle epoch and never increases', () => {
    expect(cosineLearningRate(3, params)).toBeCloseTo(5.5e-4, 10);
    for (let e = 2; e <= 5; e++)
      expect(cosineLearningRate(e, params)).toBeLessThanOrEqual(cosineLearningRate(e - 1, params));
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

describe('fitDecision', () => {
  // Site a: mostly abnormal and scored high; site b: mostly normal and scored low; each ranks its own
  // records perfectly, around a different cut.
  const scored = (subset: string, label: 'normal' | 'abnormal', score: number) => ({
    recording: { subset, label },
    score,
  });
  const records = [
    ...[4, 3.5, 3, 2.5].map((l) => scored('a', 'abnormal', l)),
    ...[1.8, 1.5, 1.2].map((l) => scored('a', 'normal', l)),
    ...[0.5, 0.2, 0].map((l) => scored('b', 'abnormal', l)),
    ...[-1, -1.2, -1.5, -2, -2.2, -2.5].map((l) => scored('b', 'normal', l)),
  ];

  it('maximises the pooled MAcc by default', () => {
    const decision = fitDecision(records);
    expect(decision.thresholdRule).toBe('pooled-macc');
    // Every abnormal record flagged, and site a's three normal ones with them: (1 + 6 / 9) / 2.
    expect(decision.validationMetrics.macc).toBeCloseTo((1 + 6 / 9) / 2, 12);
  });

  it("maximises the mean of the sites' own MAcc when asked, and says so", () => {
    const decision = fitDecision(records, 'site-balanced-macc');
    expect(decision.thresholdRule).toBe('site-balanced-macc');
    const perSite = (subset: string) => {
      const own = records.filter((r) => r.recording.subset === subset);
      const called = own.map(
        (r) =>
          1 / (1 + Math.exp(-(decision.calibration.slope * r.score + decision.calibration.intercept))) >=
          decision.threshold,
      );
      const sensitivity =
        own.filter((r, i) => r.recording.label === 'abnormal' && called[i]).length /
        own.filter((r) => r.recording.label === 'abnormal').length;
      const specificity =
        own.filter((r, i) => r.recording.label === 'normal' && !called[i]).length /
        own.filter((r) => r.recording.label === 'normal').length;
      return (sensitivity + specificity) / 2;
    };
    expect((perSite('a') + perSite('b')) / 2).toBeCloseTo(0.75, 12);
  });

  it('falls back to the pooled rule for one site (site calibration)', () => {
    const oneSite = records.map((r) => ({ ...r, recording: { label: r.recording.label } }));
    expect(fitDecision(oneSite, 'site-balanced-macc').thresholdRule).toBe('pooled-macc');
  });
});
