import { describe, expect, it } from 'vitest';
import { renderModelCard, type CardTrainingReport } from './model-card';
import {
  candidateMovesDefault,
  renderResearchComparison,
  type ComparedModel,
  type ComparisonMetrics,
  type ResearchComparisonReport,
} from './research-comparison';
import type { ModelManifest } from '@heartbeat/model';

const metrics = (auc: number, macc: number): ComparisonMetrics => ({
  count: 100,
  auc,
  macc,
  sensitivity: macc,
  specificity: macc,
  ece: 0.03,
});

function model(name: string, validation: [number, number], heldOut: Record<string, number>): ComparedModel {
  return {
    name,
    threshold: 0.3,
    thresholdRule: 'pooled-macc',
    validation: { overall: metrics(...validation), perSubset: { 'training-a': metrics(0.8, 0.7) } },
    heldOut: Object.fromEntries(Object.entries(heldOut).map(([s, auc]) => [s, metrics(auc, 0.6)])),
    clips: [{ seconds: 2, auc: 0.9, macc: 0.84, sensitivity: 0.85, specificity: 0.83 }],
    segmentation: "the product's HSMM",
    command: `make ${name}`,
  };
}

const version = model('1.6.0', [0.957, 0.885], { 'training-a': 0.691, 'training-e': 0.543 });

describe('the rule that moves the CLI default (beat the version on validation, lose no left-out database)', () => {
  it('moves it for a candidate better on validation and on every left-out database', () => {
    const candidate = model('next', [0.961, 0.906], { 'training-a': 0.7, 'training-e': 0.6 });
    expect(candidateMovesDefault(version, candidate)).toEqual({ moves: true, reasons: [] });
  });

  it('keeps the version when one left-out database loses, naming it with its figures', () => {
    const candidate = model('next', [0.961, 0.906], { 'training-a': 0.684, 'training-e': 0.597 });
    expect(candidateMovesDefault(version, candidate)).toEqual({
      moves: false,
      reasons: ['training-a held out loses: AUC 0.691 -> 0.684'],
    });
  });

  it('keeps the version when validation MAcc falls even though AUC rises', () => {
    const candidate = model('next', [0.961, 0.858], { 'training-a': 0.7, 'training-e': 0.6 });
    expect(candidateMovesDefault(version, candidate).reasons).toEqual([
      'validation AUC / MAcc 0.961 / 0.858 does not beat 0.957 / 0.885',
    ]);
  });

  it('keeps the version when a left-out database was not measured for the candidate', () => {
    const candidate = model('next', [0.961, 0.906], { 'training-a': 0.7 });
    expect(candidateMovesDefault(version, candidate).reasons).toEqual([
      'training-e held out was not measured',
    ]);
  });
});

describe('model card: the research section', () => {
  const report: ResearchComparisonReport = {
    issue: 'Issue 29',
    variantsCompared: 12,
    variantBudget: 12,
    version,
    candidates: [
      {
        ...model('7. aligned', [0.961, 0.906], { 'training-a': 0.684, 'training-e': 0.597 }),
        description: 'the aligned heart-cycle model.',
      },
    ],
    foldRecipe: 'fold networks capped at 10 minutes',
    command: 'research/cycle-gate-check.ts',
    left: ['a per-frame state network'],
    segmentation: {
      source: 'held out by subset',
      rows: [
        { name: 'product HSMM', f1: { 'training-a': 0.954, all: 0.946 } },
        { name: 'fitted HSMM', f1: { 'training-a': 0.959, all: 0.953 } },
      ],
    },
  };

  it('puts the version and the candidate side by side on validation, left-out databases and short clips', () => {
    const text = renderResearchComparison(report);
    expect(text).toContain(
      '| 1.6.0 | 0.957 / 0.885 | 0.885 / 0.885 | 0.300 (pooled-macc) | 0.030 | 0.800 / 0.700 |',
    );
    expect(text).toContain(
      '| 7. aligned | 0.684 / 0.600 (0.600 / 0.600) | 0.597 / 0.600 (0.600 / 0.600) | 0.641 |',
    );
    expect(text).toContain('| 1.6.0 | 0.900 / 0.840 (0.850 / 0.830) |');
    expect(text).toContain('1.6.0: make 1.6.0\n7. aligned: make 7. aligned');
  });

  it('names the segmentation once when every model reads the same, and tabulates the segmentations compared', () => {
    const text = renderResearchComparison(report);
    expect(text).toContain("Segmentation: every model above reads the product's HSMM.");
    expect(text).toContain(
      '| segmentation | training-a | all |\n|---|---|---|\n| product HSMM | 0.954 | 0.946 |',
    );
  });

  it('says plainly that the version stays the default, why, and what is left', () => {
    const text = renderResearchComparison(report);
    expect(text).toContain(
      '**This version stays the CLI default.** The rule (beat it on validation without losing a left-out database, by held-out AUC) is not met:\n\n- 7. aligned: training-a held out loses: AUC 0.691 -> 0.684.',
    );
    expect(text).toContain('- a per-frame state network');
  });

  it('is a section of the card only when a comparison was recorded', () => {
    const manifest = {
      name: 'heartbeat-pcg-cnn',
      version: '1.6.0',
      createdAt: 'then',
      input: {
        sampleRate: 2000,
        windowSeconds: 5,
        hopSeconds: 2.5,
        melBands: 32,
        frames: 126,
        featureConfig: {},
      },
      decision: { minimumQuality: 0.05, threshold: 0.3, calibration: { slope: 1, intercept: 0 } },
      artifacts: { tfjs: 'model.json' },
    } as unknown as ModelManifest;
    const training = {
      bestEpoch: 1,
      stoppedBecause: 'epochs',
      minutes: 1,
      backend: 'wasm',
      validation: { overall: metrics(0.9, 0.8), perSubset: {} },
      counts: { training: 1, validation: 1, failedToDecode: 0 },
      datasetFingerprint: 'x',
    } as unknown as CardTrainingReport;
    const base = { manifest, training, trainCommand: 'train' };
    expect(renderModelCard({ ...base, research: report })).toMatch(
      /## Short clips\n[^#]*\n## Research: the best candidates beside this version\nIssue 29: 12 of the 12 variants/,
    );
    expect(renderModelCard(base)).not.toContain('## Research');
  });
});
