// Metrics of screened, labelled recordings per subset and overall, as `heartbeat evaluate` prints them.
import {
  binaryMetrics,
  type BinaryMetrics,
  type LabelledRecording,
  rocCurve,
  type RocPoint,
  type ScreeningResult,
} from '@heartbeat/model';

export interface ScreenedRecording {
  recording: LabelledRecording;
  result: ScreeningResult;
}

export interface GroupEvaluation extends BinaryMetrics {
  /** Share of recordings answered "unsure" by the quality gate (metrics above ignore the gate). */
  unsureRate: number;
  /** MAcc over the recordings the gate let through. */
  maccExcludingUnsure: number;
}

export interface EvaluationReport {
  modelVersion: string;
  threshold: number;
  overall: GroupEvaluation;
  perSubset: Record<string, GroupEvaluation>;
  roc: RocPoint[];
}

export function evaluationReport(
  screened: ScreenedRecording[],
  modelVersion: string,
  decisionThreshold: number,
): EvaluationReport {
  const sorted = [...screened].sort(
    (a, b) =>
      a.recording.subset.localeCompare(b.recording.subset) || a.recording.id.localeCompare(b.recording.id),
  );
  const group = (members: ScreenedRecording[]): GroupEvaluation => {
    const labels = members.map((s) => (s.recording.label === 'abnormal' ? 1 : 0));
    const probabilities = members.map((s) => s.result.probability);
    const judged = members.filter((s) => s.result.label !== 'unsure');
    return {
      ...binaryMetrics(labels, probabilities, decisionThreshold),
      unsureRate: members.length === 0 ? 0 : (members.length - judged.length) / members.length,
      maccExcludingUnsure: binaryMetrics(
        judged.map((s) => (s.recording.label === 'abnormal' ? 1 : 0)),
        judged.map((s) => s.result.probability),
        decisionThreshold,
      ).macc,
    };
  };
  const perSubset: Record<string, GroupEvaluation> = {};
  for (const subset of [...new Set(sorted.map((s) => s.recording.subset))]) {
    perSubset[subset] = group(sorted.filter((s) => s.recording.subset === subset));
  }
  return {
    modelVersion,
    threshold: decisionThreshold,
    overall: group(sorted),
    perSubset,
    roc: rocCurve(
      sorted.map((s) => (s.recording.label === 'abnormal' ? 1 : 0)),
      sorted.map((s) => s.result.probability),
    ),
  };
}

export function formatEvaluationTable(report: EvaluationReport): string {
  const header = ['subset', 'n', 'abn', 'MAcc', 'AUC', 'sens', 'spec', 'F1', 'acc', 'ECE', 'unsure'];
  const row = (name: string, m: GroupEvaluation) => [
    name,
    String(m.count),
    String(m.positives),
    ...[m.macc, m.auc, m.sensitivity, m.specificity, m.f1, m.accuracy, m.ece].map((v) =>
      Number.isFinite(v) ? v.toFixed(3) : '-',
    ),
    `${(m.unsureRate * 100).toFixed(1)}%`,
  ];
  const rows = [
    header,
    ...Object.entries(report.perSubset).map(([s, m]) => row(s, m)),
    row('overall', report.overall),
  ];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return [
    `model ${report.modelVersion}, threshold ${report.threshold.toFixed(3)}`,
    ...rows.map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    ),
  ].join('\n');
}
