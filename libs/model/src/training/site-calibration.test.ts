import { describe, expect, it } from 'vitest';
import { fitSiteDecision, siteCalibrationExperiment, splitForSiteCalibration, type ScoredRecord } from './site-calibration';

/** A site whose scores rank well but sit 4 logits higher than where the model's threshold is. */
function shiftedSite(): ScoredRecord[] {
  return Array.from({ length: 200 }, (_, i) => {
    const abnormal = i % 5 === 0;
    const spread = ((i * 37) % 100) / 100;
    return { id: `r${i}`, label: abnormal ? 'abnormal' : 'normal', score: 4 + (abnormal ? 1 + spread * 2 : -1 + spread * 1.5) };
  });
}

describe('site calibration', () => {
  it('keeps both labels and the class ratio in the calibration part', () => {
    const { calibration, rest } = splitForSiteCalibration(shiftedSite(), 30, 1);
    expect(calibration).toHaveLength(30);
    expect(calibration.filter((r) => r.label === 'abnormal')).toHaveLength(6);
    expect(rest).toHaveLength(170);
  });

  it('moves MAcc back up on a site whose scores are shifted', () => {
    const modelDecision = { calibration: { slope: 1, intercept: 0 }, threshold: 0.5 };
    const { before, after } = siteCalibrationExperiment(shiftedSite(), modelDecision, 30, 1);
    expect(before.macc).toBeLessThan(0.6);
    expect(after?.macc).toBeGreaterThan(0.9);
  });

  it('refuses to calibrate by inverting a ranking that is upside down at the site', () => {
    const inverted = shiftedSite().map((r) => ({ ...r, score: 8 - r.score }));
    expect(() => fitSiteDecision(inverted)).toThrow(/scores abnormal recordings lower than normal ones/);
    const experiment = siteCalibrationExperiment(inverted, { calibration: { slope: 1, intercept: 0 }, threshold: 0.5 }, 30, 1);
    expect(experiment.after).toBeUndefined();
    expect(experiment.refused).toMatch(/Do not use this model version at this site/);
  });

  it('refuses a calibration set with only one label', () => {
    expect(() => fitSiteDecision([{ id: 'a', label: 'normal', score: 1 }])).toThrow(/both classes/);
  });
});
