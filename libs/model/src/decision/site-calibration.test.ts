import { describe, expect, it } from 'vitest';
import { calibratedProbability, decideLabel } from './record-decision';
import {
  checkSiteRecordCounts,
  fitSiteOperatingPoint,
  fitSiteOperatingPointOnScores,
  SiteCalibrationError,
  siteCalibrationTrial,
  siteDecisionPolicy,
  wilsonLowerBound,
  type ScoredRecord,
  type SiteRecord,
} from './site-calibration';

/** A site whose scores rank well but sit 4 logits higher than where the model's threshold is. */
function shiftedSite(count = 200): ScoredRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const abnormal = i % 2 === 0;
    const spread = ((i * 37) % 100) / 100;
    return {
      id: `r${i}`,
      label: abnormal ? 'abnormal' : 'normal',
      score: 4 + (abnormal ? 0.5 + spread * 2 : -1 + spread * 2),
    };
  });
}

const modelDecision = { calibration: { slope: 1, intercept: 0 }, threshold: 0.5, minimumQuality: 0.1 };

function refusal(run: () => unknown): SiteCalibrationError {
  try {
    run();
  } catch (error) {
    if (error instanceof SiteCalibrationError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const records = (labels: string, logit: (i: number) => number): SiteRecord[] =>
  [...labels].map((c, i) => ({ label: c === 'a' ? 'abnormal' : 'normal', logit: logit(i) }));

describe('site calibration fit', () => {
  it('keeps the local sensitivity at the target plus one standard error, and no stricter', () => {
    const site = shiftedSite(30).map((r) => ({ label: r.label, logit: r.score }));
    const fit = fitSiteOperatingPoint(site, { baseSensitivity: 0.87 });
    // 15 abnormal records, target 0.82: 15 * 0.82 + sqrt(15 * 0.82 * 0.18) = 13.8 -> 14 must be detected.
    expect(fit.figures.requiredDetected).toBe(14);
    expect(fit.figures.sensitivity).toBeGreaterThanOrEqual(14 / 15);
    expect(fit.figures.records).toBe(30);
    const policy = siteDecisionPolicy(
      { calibration: { slope: 1, intercept: 0 }, threshold: 0.5, minimumQuality: 0 },
      fit.decision,
    );
    const detected = site.filter(
      (r) => r.label === 'abnormal' && calibratedProbability(r.logit, policy.calibration) >= policy.threshold,
    ).length;
    expect(detected).toBe(Math.round(fit.figures.sensitivity * 15));
    // The highest such threshold: raising it to the next abnormal record loses one more.
    expect(fit.figures.sensitivity).toBeLessThan(1);
    expect(fit.figures.specificity).toBeGreaterThan(0.3);
  });

  it('moves specificity back up on a site the model calls almost all abnormal, sensitivity kept', () => {
    const site = shiftedSite();
    const untouched = siteCalibrationTrial(site, modelDecision, { baseSensitivity: 0.87, seed: 1 });
    expect(untouched.before.specificity).toBeLessThan(0.1);
    expect(untouched.after!.specificity).toBeGreaterThan(0.4);
    expect(untouched.after!.sensitivity).toBeGreaterThanOrEqual(0.8);
    expect(untouched.labelled).toEqual({ normal: 15, abnormal: 15 });
  });

  it('reports the local figures with confidence bounds and the model’s own decision beside them', () => {
    const fit = fitSiteOperatingPointOnScores(shiftedSite(30), modelDecision, { baseSensitivity: 0.87 });
    expect(fit.figures.modelSensitivity).toBe(1);
    expect(fit.figures.modelSpecificity).toBeLessThan(0.2);
    expect(fit.figures.sensitivityLowerBound).toBeLessThan(fit.figures.sensitivity);
    expect(fit.figures.aucLowerBound).toBeGreaterThan(0.5);
  });

  it('applies the site on top of the model: the same recording gets the site threshold and probability', () => {
    const policy = siteDecisionPolicy(modelDecision, { slope: 2, intercept: -1, threshold: 0.7 });
    const score = 1.5;
    const modelLogitOf = modelDecision.calibration.slope * score + modelDecision.calibration.intercept;
    expect(calibratedProbability(score, policy.calibration)).toBeCloseTo(
      1 / (1 + Math.exp(-(2 * modelLogitOf - 1))),
      12,
    );
    expect(policy.minimumQuality).toBe(0.1);
    expect(decideLabel(calibratedProbability(score, policy.calibration), 0.9, policy)).toBe('abnormal');
    expect(decideLabel(calibratedProbability(score, policy.calibration), 0.05, policy)).toBe('unsure');
  });

  it('refuses a one-class site', () => {
    const error = refusal(() =>
      fitSiteOperatingPoint(
        records('nnnnnnnnnnnnnnnnnnnnnnnn', (i) => i),
        { baseSensitivity: 0.9 },
      ),
    );
    expect(error.code).toBe('SITE_RECORDS_ONE_CLASS');
    expect(error.message).toMatch(/24 normal and 0 abnormal/);
  });

  it('refuses too few records, in all or of one class', () => {
    expect(refusal(() => checkSiteRecordCounts({ normal: 8, abnormal: 8 })).code).toBe(
      'SITE_RECORDS_TOO_FEW',
    );
    expect(refusal(() => checkSiteRecordCounts({ normal: 3, abnormal: 30 })).code).toBe(
      'SITE_RECORDS_TOO_FEW',
    );
    expect(() => checkSiteRecordCounts({ normal: 5, abnormal: 15 })).not.toThrow();
  });

  it('refuses a ranking that is upside down at the site', () => {
    const inverted = shiftedSite(40).map((r) => ({ label: r.label, logit: 8 - r.score }));
    const error = refusal(() => fitSiteOperatingPoint(inverted, { baseSensitivity: 0.87 }));
    expect(error.code).toBe('SITE_RANKING_INVERTED');
    expect(error.message).toMatch(/Do not use this model at this site/);
  });

  it('refuses a ranking too weak to tell from chance on this many records', () => {
    // Abnormal records score a shade above normal ones of the same rank: AUC a little above 0.5.
    const weak = records(
      'an'.repeat(15),
      (i) => Math.floor(i / 2) / 15 + (i % 2 === 0 ? 0.05 : 0) + ((i * 7) % 5) / 5,
    );
    const error = refusal(() => fitSiteOperatingPoint(weak, { baseSensitivity: 0.87 }));
    expect(error.code).toBe('SITE_RANKING_TOO_WEAK');
    expect(error.figures?.auc).toBeGreaterThan(0.5);
  });

  it('a refused trial says why and still reports the model’s own figures', () => {
    const inverted = shiftedSite().map((r) => ({ ...r, score: 8 - r.score }));
    const trial = siteCalibrationTrial(inverted, modelDecision, { baseSensitivity: 0.87, seed: 3 });
    expect(trial.after).toBeUndefined();
    expect(trial.refused?.code).toBe('SITE_RANKING_INVERTED');
    expect(trial.before.count).toBeGreaterThan(100);
  });

  it('computes Wilson lower bounds', () => {
    expect(wilsonLowerBound(15, 15)).toBeCloseTo(0.847, 2);
    expect(wilsonLowerBound(0, 10)).toBe(0);
    expect(wilsonLowerBound(50, 100)).toBeCloseTo(0.418, 2);
  });
});
