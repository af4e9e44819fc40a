// Read-only views for the console and the prototype's charts: the promoted model's evaluation
// figures, prediction history and the class distribution of training data and predictions.
import { Inject, Injectable } from '@nestjs/common';
import { ModelVersionsRepository, PredictionsRepository, RecordingsRepository, TrainingSamplesRepository } from '@heartbeat/db';
import { ApiError } from '../common/api-error';
import type { PredictionHistoryQueryDto, PredictionPageDto } from '../screening/dto';
import { presentPrediction } from '../screening/presenters';

export const HISTORY_DEFAULT_LIMIT = 100;

export interface ModelMetricsReport {
  modelVersion: string;
  status: string;
  promotedAt: string | null;
  createdAt: string;
  metrics: Record<string, unknown>;
  [figure: string]: unknown;
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
  ) {}

  /** The promoted model's metrics; its top-level figures are also spread at the root, as the prototype had them. */
  async modelMetrics(): Promise<ModelMetricsReport> {
    const promoted = await this.modelVersions.findPromoted();
    if (!promoted) throw new ApiError(404, 'NO_PROMOTED_MODEL', 'No model version is promoted yet; the inference worker registers the shipped model on its first start.');
    return {
      ...promoted.metrics,
      modelVersion: promoted.version,
      status: promoted.status,
      promotedAt: promoted.promotedAt?.toISOString() ?? null,
      createdAt: promoted.createdAt.toISOString(),
      metrics: promoted.metrics,
    };
  }

  async predictionHistory(query: PredictionHistoryQueryDto): Promise<PredictionPageDto> {
    const page = await this.predictions.list(
      { label: query.label, batchId: query.batchId, from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined },
      { limit: query.limit ?? HISTORY_DEFAULT_LIMIT, offset: query.offset ?? 0 },
    );
    const recordings = new Map((await this.recordings.findByIds([...new Set(page.items.map((p) => p.recordingId))])).map((r) => [r.id, r]));
    return { items: page.items.map((p) => presentPrediction(p, recordings.get(p.recordingId))), limit: page.limit, offset: page.offset, total: page.total };
  }

  async classDistribution(): Promise<ClassDistribution> {
    const [training, predictions] = await Promise.all([this.trainingSamples.countByLabel(), this.predictions.countByLabel()]);
    return {
      training: { ...training, total: training.normal + training.abnormal },
      predictions: { ...predictions, total: predictions.normal + predictions.abnormal + predictions.unsure },
    };
  }
}
