import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelManifest } from '@heartbeat/model';
import { readValidationScores, reliabilityDiagram, rocCurve, validationCurves } from './validation-curves';

const MODELS = join(__dirname, '../../../models');
const abnormal = (probability: number) => ({ label: 'abnormal' as const, probability });
const normal = (probability: number) => ({ label: 'normal' as const, probability });

describe('rocCurve', () => {
  it('gives AUC 1 and passes through (0, 1) when every abnormal recording scores above every normal one', () => {
    const { roc, auc } = rocCurve([abnormal(0.9), abnormal(0.8), normal(0.3), normal(0.1)]);
    expect(auc).toBe(1);
    expect(roc).toContainEqual({ threshold: 0.8, falsePositiveRate: 0, truePositiveRate: 1 });
    expect(roc.at(-1)).toMatchObject({ falsePositiveRate: 1, truePositiveRate: 1 });
  });

  it('gives the Mann-Whitney AUC with ties counted half', () => {
    // Pairs (abnormal, normal): 0.7>0.5, 0.7>0.2, 0.5=0.5 (half), 0.5>0.2 -> 3.5 / 4.
    const { auc } = rocCurve([abnormal(0.7), abnormal(0.5), normal(0.5), normal(0.2)]);
    expect(auc).toBeCloseTo(0.875, 12);
  });

  it('has no AUC when one class is missing', () => {
    expect(rocCurve([normal(0.2), normal(0.4)]).auc).toBeNull();
  });
});

describe('reliabilityDiagram', () => {
  it('puts each probability in its tenth and weighs the gap of each bin by its size', () => {
    const { reliability, ece } = reliabilityDiagram([
      abnormal(0.15),
      normal(0.15),
      abnormal(0.95),
      abnormal(1),
    ]);
    expect(reliability[1]).toMatchObject({ count: 2, meanPredicted: 0.15, observedRate: 0.5 });
    // Probability 1 belongs to the last bin, not an eleventh.
    expect(reliability[9]).toMatchObject({ count: 2, observedRate: 1 });
    expect(reliability[9]!.meanPredicted).toBeCloseTo(0.975, 12);
    expect(reliability[0]).toMatchObject({ count: 0, meanPredicted: null, observedRate: null });
    // ECE = 2/4 * |0.15 - 0.5| + 2/4 * |0.975 - 1|
    expect(ece).toBeCloseTo(0.5 * 0.35 + 0.5 * 0.025, 12);
  });
});

describe('readValidationScores', () => {
  it("reproduces the shipped 1.6.0's validation AUC and ECE from its validation-scores.json and calibration", async () => {
    const dir = join(MODELS, '1.6.0');
    const scores = await readValidationScores(dir, readModelManifest(dir).decision.calibration);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(scores).toHaveLength(533);
    const curves = validationCurves(scores!);
    expect(curves.auc).toBeCloseTo(metrics.validation.overall.auc, 3);
    expect(curves.ece).toBeCloseTo(metrics.validation.overall.ece, 3);
  });

  it('uses the mean window logit as the score in files written before heart-cycle models', async () => {
    // 1.0.0's manifest and first validation scores (no longer shipped in models/).
    const dir = join(__dirname, '../test/fixtures/model-1.0.0');
    const { slope, intercept } = readModelManifest(dir).decision.calibration;
    const [first] = (await readValidationScores(dir, { slope, intercept }))!;
    const raw = JSON.parse(readFileSync(join(dir, 'validation-scores.json'), 'utf8'))[0];
    expect(first!.score).toBe(raw.meanLogit);
    expect(first!.probability).toBeCloseTo(1 / (1 + Math.exp(-(slope * raw.meanLogit + intercept))), 12);
  });

  it('answers undefined for a directory without validation scores', async () => {
    expect(await readValidationScores(__dirname, { slope: 1, intercept: 0 })).toBeUndefined();
  });
});
