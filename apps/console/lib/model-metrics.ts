// Reads the figures the console shows out of a model version's metrics.json (whose shape grew over
// versions: validation.overall/perSubset, history per epoch, evaluation with the promotion decision).
import type { EvaluationFigures, ModelVersion } from '@heartbeat/api-client';

const record = (value: unknown): Record<string, unknown> | null =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

export interface ModelSummary {
  overall: EvaluationFigures | null;
  perSubset: { subset: string; figures: EvaluationFigures }[];
  history: {
    epoch: number;
    loss: number | null;
    validationAuc: number | null;
    validationMacc: number | null;
  }[];
  decision: { promote: boolean; reason: string } | null;
  counts: Record<string, number> | null;
}

export function summariseModel(model: Pick<ModelVersion, 'metrics'>): ModelSummary {
  const metrics = record(model.metrics) ?? {};
  const validation = record(metrics.validation);
  const overall = record(validation?.overall) ?? (typeof validation?.macc === 'number' ? validation : null);
  const perSubset = Object.entries(record(validation?.perSubset) ?? {}).map(([subset, figures]) => ({
    subset,
    figures: (record(figures) ?? {}) as EvaluationFigures,
  }));
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  const history = (Array.isArray(metrics.history) ? metrics.history : []).map((entry, index) => {
    const row = record(entry) ?? {};
    return {
      epoch: number(row.epoch) ?? index + 1,
      loss: number(row.loss),
      validationAuc: number(row.validationAuc),
      validationMacc: number(row.validationMacc),
    };
  });
  const evaluation = record(metrics.evaluation);
  const decision = record(evaluation?.decision);
  const counts = record(metrics.counts);
  return {
    overall: overall as EvaluationFigures | null,
    perSubset,
    history,
    decision:
      decision && typeof decision.reason === 'string'
        ? { promote: decision.promote === true, reason: decision.reason }
        : null,
    counts: counts
      ? (Object.fromEntries(Object.entries(counts).filter(([, v]) => typeof v === 'number')) as Record<
          string,
          number
        >)
      : null,
  };
}
