// The gateway's response shapes as its clients see them (JSON: dates are ISO strings). The gateway's
// DTOs (apps/gateway/src/**/dto.ts) are the source; these mirror them for code that must not import
// NestJS decorators, such as the console's browser bundle.

export type Role = 'screening' | 'admin';
export type Label = 'normal' | 'abnormal' | 'unsure';
export type CheckStatus = 'up' | 'down';

export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface LiveWorker {
  workerId: string;
  modelVersion?: string | null;
  backend?: string | null;
  ready: boolean;
  inFlight: number;
  lastSeen: string | number;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  service: 'gateway';
  uptimeSeconds: number;
  modelLoaded: boolean;
  modelVersions: string[];
  checks: {
    api: CheckStatus;
    database: CheckStatus;
    redis: CheckStatus;
    storage: CheckStatus;
    model: CheckStatus;
  };
  workers: LiveWorker[];
}

export interface Uptime {
  uptimeSeconds: number;
  startedAt: string;
  uptime: string;
}

export interface WindowScore {
  startSeconds: number;
  endSeconds: number;
  probability: number;
}

export interface Prediction {
  id: string;
  recordingId: string;
  batchId: string | null;
  fileName: string | null;
  status: 'pending' | 'succeeded' | 'failed';
  label: Label | null;
  probability: number | null;
  quality: number | null;
  windows: WindowScore[] | null;
  modelVersion: string | null;
  site: string | null;
  threshold: number | null;
  latencyMs: number | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  completedAt: string | null;
}

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

export interface PredictionCountColumns {
  normal: number;
  abnormal: number;
  unsure: number;
  failed: number;
  pending: number;
  total: number;
}

/** GET /api/v1/predictions/counts: non-empty buckets only, oldest first. */
export interface PredictionCounts {
  bucket: 'hour' | 'day' | 'week';
  buckets: (PredictionCountColumns & { start: string })[];
  totals: PredictionCountColumns;
}

/** GET /api/v1/models/{version}/validation-curves. */
export interface ValidationCurves {
  version: string;
  subset: string | null;
  scoresStored: boolean;
  count: number;
  abnormal: number;
  normal: number;
  auc: number | null;
  ece: number | null;
  roc: { threshold: number | null; falsePositiveRate: number; truePositiveRate: number }[];
  reliability: {
    lower: number;
    upper: number;
    count: number;
    meanPredicted: number | null;
    observedRate: number | null;
  }[];
  subsets: { subset: string; count: number; abnormal: number; auc: number | null; ece: number | null }[];
}

export interface AuditEvent {
  id: string;
  action: string;
  actorKeyId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface AuditEventsQuery {
  action?: string;
  subjectType?: string;
  subjectId?: string;
  limit?: number;
  offset?: number;
}

export interface BatchFile {
  index: number;
  fileName: string;
  status: 'queued' | 'rejected';
  recordingId?: string;
  predictionId?: string;
  code?: string;
  message?: string;
}

export interface BatchStatus {
  batchId: string;
  status: 'receiving' | 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  pending: number;
  progress: number;
  createdAt: string;
  finishedAt: string | null;
  statusUrl: string;
  resultsUrl: string;
}

export interface BatchCreated extends BatchStatus {
  accepted: number;
  rejected: number;
  files: BatchFile[];
}

export interface BatchResults {
  batch: BatchStatus;
  items: Prediction[];
  rejected: BatchFile[];
  limit: number;
  offset: number;
  total: number;
}

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

/** A registered model version; `metrics` is the version's metrics.json (validation, history, evaluation...). */
export interface ModelVersion {
  version: string;
  status: string;
  statusReason: string | null;
  metrics: Record<string, unknown> | null;
  datasetFingerprint: string | null;
  calibration: Record<string, unknown> | null;
  trainingRunId: string | null;
  createdAt: string;
  promotedAt: string | null;
  retiredAt: string | null;
}

export interface ModelChange {
  promoted: ModelVersion;
  previousVersion: string | null;
  changed: boolean;
}

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

export interface TrainingRun {
  id: string;
  kind: 'retrain' | 'calibration';
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | string;
  progress: number;
  site: string | null;
  epoch: number | null;
  epochs: number | null;
  loss: number | null;
  etaSeconds: number | null;
  modelVersion: string | null;
  metrics: Record<string, unknown>;
  logTail: string[];
  error: string | null;
  params: Record<string, unknown>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ClassDistribution {
  training: { normal: number; abnormal: number; total: number };
  predictions: { normal: number; abnormal: number; unsure: number; total: number };
}

export interface TrainingUploadOutcome {
  accepted: { index: number; fileName: string; label: string; recordingId: string; site: string | null }[];
  duplicates: { index: number; fileName: string; message: string }[];
  rejected: { index: number; fileName: string; code: string; message: string }[];
  samples: { normal: number; abnormal: number };
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  keyPrefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A site's fitted operating point (GET /api/v1/sites): p_site = sigmoid(slope * logit(p_model) + intercept). */
export interface SiteCalibration {
  id: string;
  status: 'active' | 'superseded' | 'refused' | string;
  baseModelVersion: string;
  decision: { slope: number; intercept: number; threshold: number } | null;
  records: { normal: number; abnormal: number };
  local: {
    sensitivity: number;
    specificity: number;
    sensitivityLowerBound: number;
    specificityLowerBound: number;
    auc: number;
    aucLowerBound: number;
    targetSensitivity: number;
    modelSensitivity: number;
    modelSpecificity: number;
  } | null;
  refusal: { code: string; reason: string } | null;
  createdAt: string;
}

export interface Site {
  name: string;
  device: string | null;
  owner: string | null;
  records: { normal: number; abnormal: number };
  status: 'uncalibrated' | 'calibrated' | 'refused' | string;
  calibration: SiteCalibration | null;
  lastRefusal: SiteCalibration | null;
  createdAt: string;
  updatedAt: string;
}
