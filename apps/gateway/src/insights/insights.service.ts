// Read-only views for the console and the prototype's charts: the promoted model's evaluation
// figures, prediction history and the class distribution of training data and predictions.
import { Inject, Injectable } from '@nestjs/common';
import {
  ModelVersionsRepository,
  PredictionsRepository,
  RecordingsRepository,
  TrainingSamplesRepository,
} from '@heartbeat/db';
import { validationCurves } from '@heartbeat/model-registry';
import { ApiError } from '../common/api-error';
import { WorkerPresenceRepository } from '../infrastructure/worker-presence.repository';
import type { PredictionHistoryQueryDto, PredictionPageDto } from '../screening/dto';
import type {
  PredictionCountBucketDto,
  PredictionCountsDto,
  PredictionCountsQueryDto,
  PredictionFilterQueryDto,
  ValidationCurvesDto,
} from './dto';
import { presentPrediction } from '../screening/presenters';

export const HISTORY_DEFAULT_LIMIT = 100;

const HOUR_MS = 3_600_000;

/** auto: hours under two days of predictions, weeks over 26 weeks, days in between (a readable chart either way). */
export function resolveBucket(
  bucket: PredictionCountsQueryDto['bucket'],
  range: { first: Date; last: Date } | undefined,
): 'hour' | 'day' | 'week' {
  if (bucket && bucket !== 'auto') return bucket;
  const span = range ? range.last.getTime() - range.first.getTime() : 0;
  if (span < 48 * HOUR_MS) return 'hour';
  return span > 26 * 7 * 24 * HOUR_MS ? 'week' : 'day';
}

/** Rows of (bucket start, status, label, count) as one bucket per start, with totals. */
export function pivotCounts(
  rows: { start: Date; status: string; label: string | null; total: number }[],
): Pick<PredictionCountsDto, 'buckets' | 'totals'> {
  const empty = () => ({ normal: 0, abnormal: 0, unsure: 0, failed: 0, pending: 0, total: 0 });
  const totals = empty();
  const buckets = new Map<number, PredictionCountBucketDto>();
  for (const row of rows) {
    const key = row.start.getTime();
    const bucket = buckets.get(key) ?? { start: row.start.toISOString(), ...empty() };
    const column =
      row.status === 'succeeded' && row.label ? (row.label as 'normal' | 'abnormal' | 'unsure') : row.status;
    if (
      column === 'normal' ||
      column === 'abnormal' ||
      column === 'unsure' ||
      column === 'failed' ||
      column === 'pending'
    ) {
      bucket[column] += row.total;
      totals[column] += row.total;
    }
    bucket.total += row.total;
    totals.total += row.total;
    buckets.set(key, bucket);
  }
  return { buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([, bucket]) => bucket), totals };
}

function predictionFilter(query: PredictionFilterQueryDto) {
  return {
    label: query.label,
    batchId: query.batchId,
    modelVersion: query.modelVersion,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
  };
}

export interface ModelMetricsReport {
  modelVersion: string;
  status: string;
  promotedAt: string | null;
  createdAt: string;
  /** Versions the live inference workers report serving (the promoted one, or the one before it mid-swap). */
  servedVersions: string[];
  /** Where the figures come from: the version's own validation split, and how many recordings. */
  evaluatedOn: { split: string; recordings: number | null };
  /** The overall evaluation figures (accuracy, sensitivity, specificity, macc, auc...), also at the root. */
  metrics: Record<string, unknown>;
  perSubset: Record<string, unknown>;
  [figure: string]: unknown;
}

type StoredMetrics = Record<string, unknown> & {
  validation?: { overall?: Record<string, unknown>; perSubset?: Record<string, unknown> };
};

/**
 * What GET /metrics says about a model version: its evaluation figures, not the training record
 * stored with them (epoch history, dataset fingerprint). A version's metrics.json keeps the figures
 * under validation.overall; a version registered with flat figures is shown as it is.
 */
export function modelMetricsReport(
  version: {
    version: string;
    status: string;
    promotedAt: Date | null;
    createdAt: Date;
    metrics: Record<string, unknown>;
  },
  servedVersions: string[],
): ModelMetricsReport {
  const stored = version.metrics as StoredMetrics;
  const overall = stored.validation?.overall;
  const figures =
    overall ?? Object.fromEntries(Object.entries(stored).filter(([, value]) => typeof value === 'number'));
  return {
    ...figures,
    modelVersion: version.version,
    status: version.status,
    promotedAt: version.promotedAt?.toISOString() ?? null,
    createdAt: version.createdAt.toISOString(),
    servedVersions,
    evaluatedOn: {
      split: overall ? 'validation' : 'as registered',
      recordings: typeof figures.count === 'number' ? figures.count : null,
    },
    metrics: figures,
    perSubset: stored.validation?.perSubset ?? {},
  };
}

export interface ClassDistribution {
  training: { normal: number; abnormal: number; total: number };
  predictions: { normal: number; abnormal: number; unsure: number; total: number };
}

@Injectable()
export class InsightsService {
  constructor(
    @Inject(ModelVersionsRepository) private readonly modelVersions: ModelVersionsRepository,
    @Inject(PredictionsRepository) private readonly predictions: PredictionsRepository,
    @Inject(RecordingsRepository) private readonly recordings: RecordingsRepository,
    @Inject(TrainingSamplesRepository) private readonly trainingSamples: TrainingSamplesRepository,
    @Inject(WorkerPresenceRepository) private readonly workers: Pick<WorkerPresenceRepository, 'list'>,
  ) {}

  /** The promoted model's evaluation figures, also spread at the root as the prototype had them, and what the workers serve. */
  async modelMetrics(): Promise<ModelMetricsReport> {
    const [promoted, workers] = await Promise.all([
      this.modelVersions.findPromoted(),
      this.workers.list().catch(() => []),
    ]);
    if (!promoted)
      throw new ApiError(
        404,
        'NO_PROMOTED_MODEL',
        'No model version is promoted yet; the inference worker registers the shipped model on its first start.',
      );
    const served = [
      ...new Set(
        workers
          .filter((worker) => worker.ready && worker.modelVersion)
          .map((worker) => String(worker.modelVersion)),
      ),
    ].sort();
    return modelMetricsReport(promoted, served);
  }

  async predictionHistory(query: PredictionHistoryQueryDto): Promise<PredictionPageDto> {
    const page = await this.predictions.list(predictionFilter(query), {
      limit: query.limit ?? HISTORY_DEFAULT_LIMIT,
      offset: query.offset ?? 0,
    });
    const recordings = new Map(
      (await this.recordings.findByIds([...new Set(page.items.map((p) => p.recordingId))])).map((r) => [
        r.id,
        r,
      ]),
    );
    return {
      items: page.items.map((p) => presentPrediction(p, recordings.get(p.recordingId))),
      limit: page.limit,
      offset: page.offset,
      total: page.total,
    };
  }

  /** Predictions per hour, day or week by result, counted in PostgreSQL over every matching prediction. */
  async predictionCounts(query: PredictionCountsQueryDto): Promise<PredictionCountsDto> {
    const filter = predictionFilter(query);
    const bucket = resolveBucket(
      query.bucket,
      !query.bucket || query.bucket === 'auto' ? await this.predictions.createdRange(filter) : undefined,
    );
    return { bucket, ...pivotCounts(await this.predictions.countOverTime(filter, bucket)) };
  }

  /** ROC curve, AUC, reliability diagram and ECE of a version on its own validation split. */
  async validationCurves(version: string, subset?: string): Promise<ValidationCurvesDto> {
    const [row, scores] = await Promise.all([
      this.modelVersions.findByVersion(version),
      this.modelVersions.listValidationScores(version),
    ]);
    if (!row)
      throw new ApiError(404, 'MODEL_VERSION_NOT_FOUND', `Model version ${version} is not registered`, {
        version,
      });
    const subsets = [...new Set(scores.map((score) => score.subset))].sort().map((name) => {
      const { count, abnormal, auc, ece } = validationCurves(scores.filter((s) => s.subset === name));
      return { subset: name, count, abnormal, auc, ece };
    });
    return {
      version,
      subset: subset ?? null,
      scoresStored: scores.length > 0,
      ...validationCurves(subset ? scores.filter((score) => score.subset === subset) : scores),
      subsets,
    };
  }

  async classDistribution(): Promise<ClassDistribution> {
    const [training, predictions] = await Promise.all([
      this.trainingSamples.countByLabel(),
      this.predictions.countByLabel(),
    ]);
    return {
      training: { ...training, total: training.normal + training.abnormal },
      predictions: { ...predictions, total: predictions.normal + predictions.abnormal + predictions.unsure },
    };
  }
}
