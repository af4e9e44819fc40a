// Database rows to API shapes, and the CSV rendering of batch results.
import type { Batch, Prediction, Recording } from '@heartbeat/db';
import type { BatchStatusDto, PredictionDto } from './dto';

export const API_V1 = '/api/v1';

export function presentPrediction(prediction: Prediction, recording?: Pick<Recording, 'originalFileName'>): PredictionDto {
  return {
    id: prediction.id,
    recordingId: prediction.recordingId,
    batchId: prediction.batchId,
    fileName: recording?.originalFileName ?? null,
    status: prediction.status,
    label: prediction.label,
    probability: prediction.probability,
    quality: prediction.qualityScore,
    windows: prediction.windowScores,
    modelVersion: prediction.modelVersion,
    site: prediction.decision?.site ?? null,
    calibrationId: prediction.decision?.calibrationId ?? null,
    threshold: prediction.decision?.threshold ?? null,
    latencyMs: prediction.latencyMs,
    error: prediction.errorCode ? { code: prediction.errorCode, message: prediction.errorMessage ?? '' } : null,
    createdAt: prediction.createdAt.toISOString(),
    completedAt: prediction.completedAt?.toISOString() ?? null,
  };
}

export function presentBatch(batch: Batch): BatchStatusDto {
  const done = batch.succeededCount + batch.failedCount;
  return {
    batchId: batch.id,
    status: batch.status,
    total: batch.totalCount,
    done,
    succeeded: batch.succeededCount,
    failed: batch.failedCount,
    pending: Math.max(0, batch.totalCount - done),
    progress: batch.totalCount === 0 ? 1 : Math.min(1, done / batch.totalCount),
    createdAt: batch.createdAt.toISOString(),
    finishedAt: batch.finishedAt?.toISOString() ?? null,
    statusUrl: `${API_V1}/batches/${batch.id}`,
    resultsUrl: `${API_V1}/batches/${batch.id}/results`,
  };
}

export const CSV_COLUMNS = [
  'prediction_id',
  'recording_id',
  'file_name',
  'status',
  'label',
  'probability',
  'quality',
  'model_version',
  'error_code',
  'error_message',
  'created_at',
  'completed_at',
] as const;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // Quote when needed; a leading = + - @ would be run as a formula by spreadsheets.
  const guarded = /^[=+\-@]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

export function csvRow(prediction: PredictionDto): string {
  return [
    prediction.id,
    prediction.recordingId,
    prediction.fileName,
    prediction.status,
    prediction.label,
    prediction.probability,
    prediction.quality,
    prediction.modelVersion,
    prediction.error?.code,
    prediction.error?.message,
    prediction.createdAt,
    prediction.completedAt,
  ]
    .map(csvCell)
    .join(',');
}
