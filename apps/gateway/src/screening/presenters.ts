// Database rows to API shapes, and the rows of the batch CSV export.
import type { Batch, Prediction, Recording } from '@heartbeat/db';
import type { CsvValue } from '@heartbeat/contracts';
import type { BatchFileDto, BatchStatusDto, PredictionDto } from './dto';

export const API_V1 = '/api/v1';

export function presentPrediction(
  prediction: Prediction,
  recording?: Pick<Recording, 'originalFileName'>,
): PredictionDto {
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
    error: prediction.errorCode
      ? { code: prediction.errorCode, message: prediction.errorMessage ?? '' }
      : null,
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
export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** One prediction as a row of the batch CSV export (written by @heartbeat/contracts' toCsv). */
export function csvRecord(prediction: PredictionDto): Record<CsvColumn, CsvValue> {
  return {
    prediction_id: prediction.id,
    recording_id: prediction.recordingId,
    file_name: prediction.fileName,
    status: prediction.status,
    label: prediction.label,
    probability: prediction.probability,
    quality: prediction.quality,
    model_version: prediction.modelVersion,
    error_code: prediction.error?.code,
    error_message: prediction.error?.message,
    created_at: prediction.createdAt,
    completed_at: prediction.completedAt,
  };
}

/** A file refused at upload as a row of the batch CSV export. */
export function rejectedCsvRecord(
  file: Pick<BatchFileDto, 'fileName' | 'code' | 'message'>,
): Partial<Record<CsvColumn, CsvValue>> {
  return { file_name: file.fileName, status: 'rejected', error_code: file.code, error_message: file.message };
}
