// The gateway's response shapes as its clients see them (JSON: dates are ISO strings): the types
// generated from the gateway's OpenAPI document (generated/types.gen.ts, npm run api-client:generate)
// under the names the console uses, plus the query shapes and the figures inside free-form metrics.
import type {
  ApiErrorDto,
  ApiKeyDto,
  AuditEventDto,
  BatchCreatedDto,
  BatchFileDto,
  BatchResultsDto,
  BatchStatusDto,
  HealthReportDto,
  LiveWorkerDto,
  ModelChangeDto,
  ModelVersionDto,
  PredictionCountsDto,
  PredictionCountTotalsDto,
  PredictionDto,
  SiteCalibrationDto,
  SiteDto,
  TrainingRunDto,
  TrainingUploadOutcomeDto,
  UptimeDto,
  ValidationCurvesDto,
  WindowScoreDto,
} from './generated/types.gen';

export type Role = 'screening' | 'admin';
export type Label = 'normal' | 'abnormal' | 'unsure';
export type CheckStatus = 'up' | 'down';

export type ApiErrorBody = ApiErrorDto;

export type LiveWorker = LiveWorkerDto;

export type HealthReport = HealthReportDto;

export type Uptime = UptimeDto;

export type WindowScore = WindowScoreDto;

export type Prediction = PredictionDto;

export interface Page<T> {
  items: T[];
  limit: number;
  offset: number;
  total: number;
}

export interface PredictionFilterQuery {
  label?: Label;
  from?: string;
  to?: string;
  batchId?: string;
  modelVersion?: string;
}

export interface HistoryQuery extends PredictionFilterQuery {
  limit?: number;
  offset?: number;
}

export interface PredictionCountsQuery extends PredictionFilterQuery {
  /** auto (default): hours under two days of predictions, weeks over 26 weeks, days otherwise. */
  bucket?: 'auto' | 'hour' | 'day' | 'week';
}

export type PredictionCountColumns = PredictionCountTotalsDto;

/** GET /api/v1/predictions/counts: non-empty buckets only, oldest first. */
export type PredictionCounts = PredictionCountsDto;

/** GET /api/v1/models/{version}/validation-curves. */
export type ValidationCurves = ValidationCurvesDto;

export type AuditEvent = AuditEventDto;

export interface AuditEventsQuery {
  action?: string;
  subjectType?: string;
  subjectId?: string;
  limit?: number;
  offset?: number;
}

export type BatchFile = BatchFileDto;

export type BatchStatus = BatchStatusDto;

export type BatchCreated = BatchCreatedDto;

export type BatchResults = BatchResultsDto;

export interface ConfusionCounts {
  truePositive: number;
  falsePositive: number;
  trueNegative: number;
  falseNegative: number;
}

export interface EvaluationFigures {
  count?: number;
  positives?: number;
  negatives?: number;
  accuracy?: number;
  sensitivity?: number;
  specificity?: number;
  precision?: number;
  macc?: number;
  auc?: number;
  ece?: number;
  confusion?: ConfusionCounts;
}

export type ModelVersion = ModelVersionDto;

export type ModelChange = ModelChangeDto;

export interface PromotedModelMetrics {
  modelVersion: string;
  status: string;
  promotedAt: string | null;
  createdAt: string;
  metrics: Record<string, unknown>;
  /** Versions the live inference workers report serving. */
  servedVersions?: string[];
  evaluatedOn?: { split: string; recordings: number | null };
  perSubset?: Record<string, Record<string, unknown>>;
  macc?: number;
  auc?: number;
  sensitivity?: number;
  specificity?: number;
}

export type TrainingRun = TrainingRunDto;

export interface ClassDistribution {
  training: { normal: number; abnormal: number; total: number };
  predictions: { normal: number; abnormal: number; unsure: number; total: number };
}

export type TrainingUploadOutcome = TrainingUploadOutcomeDto;

export type ApiKeyInfo = ApiKeyDto;

/** A site's fitted operating point (GET /api/v1/sites): p_site = sigmoid(slope * logit(p_model) + intercept). */
export type SiteCalibration = SiteCalibrationDto;

export type Site = SiteDto;
