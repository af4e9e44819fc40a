import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelMetricsReport } from './insights.service';

const ROOT = path.resolve(__dirname, '../../../..');
const shipped = (version: string) =>
  JSON.parse(readFileSync(path.join(ROOT, 'models', version, 'metrics.json'), 'utf8')) as Record<
    string,
    unknown
  >;
const row = (version: string, metrics: Record<string, unknown>) => ({
  version,
  status: 'promoted',
  promotedAt: new Date('2026-12-01T00:00:00Z'),
  createdAt: new Date('2026-11-30T00:00:00Z'),
  metrics,
});

describe('modelMetricsReport (GET /metrics)', () => {
  it("reports a shipped version's validation figures at the root, not its training history", () => {
    const metrics = shipped('1.6.0');
    const overall = (metrics.validation as { overall: Record<string, number> }).overall;
    const report = modelMetricsReport(row('1.6.0', metrics), ['1.6.0']);
    expect(report).toMatchObject({
      modelVersion: '1.6.0',
      macc: overall.macc,
      auc: overall.auc,
      sensitivity: overall.sensitivity,
      specificity: overall.specificity,
    });
    expect(report.metrics).toEqual(overall);
    expect(report.evaluatedOn).toEqual({ split: 'validation', recordings: 533 });
    expect(Object.keys(report.perSubset)).toContain('training-a');
    expect(report).not.toHaveProperty('history');
    expect(report).not.toHaveProperty('datasetFingerprint');
  });

  it('says which versions the workers serve', () => {
    expect(modelMetricsReport(row('1.6.0', shipped('1.6.0')), ['1.5.0', '1.6.0']).servedVersions).toEqual([
      '1.5.0',
      '1.6.0',
    ]);
  });

  it('shows a version registered with flat figures as it is', () => {
    const report = modelMetricsReport(row('0.9.1', { macc: 0.81, sensitivity: 0.8, specificity: 0.82 }), []);
    expect(report).toMatchObject({
      macc: 0.81,
      sensitivity: 0.8,
      specificity: 0.82,
      metrics: { macc: 0.81, sensitivity: 0.8, specificity: 0.82 },
    });
    expect(report.evaluatedOn).toEqual({ split: 'as registered', recordings: null });
  });
});
