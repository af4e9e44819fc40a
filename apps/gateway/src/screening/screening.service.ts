// Screening: turns staged recordings into recordings rows, pending predictions and queued jobs, and
// answers for batches, predictions and recordings. /predict waits for its job; batches never do.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import { AuditRepository, BatchesRepository, PredictionsRepository, RecordingsRepository, type Batch, type Prediction, type Recording } from '@heartbeat/db';
import { JobFailedError, JobTimeoutError, type PredictionResult } from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { ApiError, notFound } from '../common/api-error';
import type { Reply } from '../common/reply';
import { CONFIG } from '../common/tokens';
import { PredictionQueueRepository } from '../infrastructure/prediction-queue.repository';
import type { RejectedFile, StagedRecording, StagingOutcome } from '../uploads/uploads.service';
import type { BatchCreatedDto, BatchFileDto, BatchResultsDto, BatchStatusDto, DownloadLinkDto, PredictionDto, PredictPendingDto, PredictResultDto } from './dto';
import { API_V1, CSV_COLUMNS, csvCell, csvRow, presentBatch, presentPrediction } from './presenters';

export interface Submitter {
  /** API key id of the caller, when there is one. */
  keyId?: string;
}

export const REJECTED_FILE_ACTION = 'batch.file_rejected';
const INSERT_CONCURRENCY = 8;
const CSV_PAGE = 1000;

async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}

@Injectable()
export class ScreeningService {
  constructor(
    @Inject(RecordingsRepository) private readonly recordings: RecordingsRepository,
    @Inject(PredictionsRepository) private readonly predictions: PredictionsRepository,
    @Inject(BatchesRepository) private readonly batches: BatchesRepository,
    @Inject(AuditRepository) private readonly audit: AuditRepository,
    @Inject(PredictionQueueRepository) private readonly queue: PredictionQueueRepository,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** One recording, screened while the client waits up to PREDICT_TIMEOUT_MS; then 202 with a URL to poll. */
  async predict(staged: StagedRecording, submitter: Submitter): Promise<Reply<PredictResultDto | PredictPendingDto | object>> {
    const recording = await this.createRecording(staged, submitter);
    const predictionId = randomUUID();
    await this.predictions.create({ id: predictionId, recordingId: recording.id, jobId: predictionId, status: 'pending' });
    const jobId = await this.queue.enqueueInteractive({
      recordingId: recording.id,
      storageKey: recording.storageKey,
      predictionId,
      requestedAt: new Date().toISOString(),
    });
    let result: PredictionResult;
    try {
      result = await this.queue.waitForResult(jobId, this.config.gateway.predictTimeoutMs);
    } catch (error) {
      if (error instanceof JobTimeoutError) {
        const statusUrl = `${API_V1}/predictions/${predictionId}`;
        return {
          status: 202,
          headers: { Location: statusUrl },
          body: { status: 'pending', predictionId, jobId, statusUrl, message: `The prediction is still running after ${this.config.gateway.predictTimeoutMs} ms; poll statusUrl.` },
        };
      }
      if (error instanceof JobFailedError)
        throw new ApiError(503, 'PREDICTION_FAILED', `The prediction could not be completed: ${error.message}. Retry later.`, { predictionId, jobId });
      throw error;
    }
    if (result.status === 'failed') {
      return { status: 422, body: { statusCode: 422, code: result.error.code, message: result.error.message, details: { predictionId, jobId, fileName: staged.fileName } } };
    }
    const probability = result.probability;
    const body: PredictResultDto = {
      id: predictionId,
      recordingId: recording.id,
      batchId: null,
      fileName: staged.fileName,
      status: 'succeeded',
      label: result.label,
      prediction: result.label,
      probability,
      confidence: result.label === 'abnormal' ? probability : 1 - probability,
      quality: result.quality,
      windows: result.windows,
      modelVersion: result.modelVersion,
      latencyMs: result.latencyMs,
      error: null,
      jobId,
      createdAt: new Date().toISOString(),
      completedAt: new Date().toISOString(),
    };
    return { status: 200, body };
  }

  /**
   * Creates a batch from staged recordings: one recordings row, one pending prediction and one job
   * each. Files rejected at upload count as failed in the batch's progress and are listed with it.
   * A database idempotency key makes a retried submission return the batch it already created.
   */
  async submitBatch(outcome: StagingOutcome, submitter: Submitter, idempotencyKey?: string): Promise<Reply<BatchCreatedDto>> {
    const { staged, rejected } = outcome;
    if (staged.length === 0 && rejected.length === 0)
      throw new ApiError(400, 'NO_FILES', 'The request holds no recordings: send them in the multipart field "files" (or a JSON body {"keys": [...]}).');
    if (staged.length === 0) {
      const first = rejected[0]!;
      throw new ApiError(first.statusCode, first.code, rejected.length === 1 ? first.message : `None of the ${rejected.length} files can be screened; first: ${first.message}`, {
        files: rejected.map(presentRejected),
      });
    }
    const { batch, created } = await this.batches.create({ totalCount: staged.length + rejected.length, idempotencyKey, createdBy: submitter.keyId });
    if (!created) return { status: 202, body: await this.describeExistingBatch(batch), headers: { Location: `${API_V1}/batches/${batch.id}` } };

    const recordings = await mapConcurrently(staged, INSERT_CONCURRENCY, (file) => this.createRecording(file, submitter));
    const rows = staged.map((file, i) => ({ id: randomUUID(), recordingId: recordings[i]!.id, batchId: batch.id, status: 'pending' as const, file }));
    await this.predictions.createMany(rows.map(({ id, recordingId, batchId, status }) => ({ id, recordingId, batchId, status, jobId: id })));
    for (const file of rejected) {
      await this.audit.record({ actorKeyId: submitter.keyId, action: REJECTED_FILE_ACTION, subjectType: 'batch', subjectId: batch.id, details: { ...presentRejected(file) } });
      await this.batches.recordOutcome(batch.id, 'failed');
    }
    const requestedAt = new Date().toISOString();
    await this.queue.enqueueMany(rows.map((row, i) => ({ recordingId: row.recordingId, storageKey: recordings[i]!.storageKey, predictionId: row.id, batchId: batch.id, requestedAt })));

    const files: BatchFileDto[] = [
      ...rows.map((row) => ({ index: row.file.index, fileName: row.file.fileName, status: 'queued' as const, recordingId: row.recordingId, predictionId: row.id, sha256: row.file.sha256 })),
      ...rejected.map(presentRejected),
    ].sort((a, b) => a.index - b.index);
    const current = (await this.batches.findById(batch.id)) ?? batch;
    return {
      status: 202,
      headers: { Location: `${API_V1}/batches/${batch.id}` },
      body: { ...presentBatch(current), accepted: staged.length, rejected: rejected.length, files },
    };
  }

  async getBatch(id: string): Promise<BatchStatusDto> {
    return presentBatch(await this.findBatch(id));
  }

  async getBatchResults(id: string, page: { limit?: number; offset?: number }): Promise<BatchResultsDto> {
    const batch = await this.findBatch(id);
    const results = await this.predictions.list({ batchId: id }, { limit: page.limit ?? 50, offset: page.offset ?? 0 });
    return {
      batch: presentBatch(batch),
      items: await this.withFileNames(results.items),
      rejected: await this.rejectedFiles(id),
      limit: results.limit,
      offset: results.offset,
      total: results.total,
    };
  }

  /** Every result of the batch as CSV (header + one line per recording, rejected files included). */
  async getBatchResultsCsv(id: string): Promise<string> {
    await this.findBatch(id);
    const lines = [CSV_COLUMNS.join(',')];
    for (let offset = 0; ; offset += CSV_PAGE) {
      const page = await this.predictions.list({ batchId: id }, { limit: CSV_PAGE, offset });
      for (const prediction of await this.withFileNames(page.items)) lines.push(csvRow(prediction));
      if (offset + CSV_PAGE >= page.total) break;
    }
    for (const file of await this.rejectedFiles(id))
      lines.push(['', '', file.fileName, 'rejected', '', '', '', '', file.code, file.message, '', ''].map(csvCell).join(','));
    return `${lines.join('\r\n')}\r\n`;
  }

  async getPrediction(id: string): Promise<PredictionDto> {
    const prediction = await this.predictions.findById(id);
    if (!prediction) throw notFound('PREDICTION_NOT_FOUND', 'prediction', id);
    const recording = await this.recordings.findById(prediction.recordingId);
    return presentPrediction(prediction, recording);
  }

  async getRecordingDownload(id: string): Promise<DownloadLinkDto> {
    const recording = await this.recordings.findById(id);
    if (!recording) throw notFound('RECORDING_NOT_FOUND', 'recording', id);
    const expiresInSeconds = this.config.s3.presignedUrlTtlSeconds;
    const url = await this.storage.presignedGetUrl(recording.storageKey, { expiresInSeconds, downloadName: recording.originalFileName });
    return { url, fileName: recording.originalFileName, expiresInSeconds };
  }

  private async findBatch(id: string): Promise<Batch> {
    const batch = await this.batches.findById(id);
    if (!batch) throw notFound('BATCH_NOT_FOUND', 'batch', id);
    return batch;
  }

  private createRecording(file: StagedRecording, submitter: Submitter): Promise<Recording> {
    return this.recordings.create({
      storageKey: file.storageKey,
      sha256: file.sha256,
      originalFileName: file.fileName,
      format: file.format,
      sizeBytes: file.sizeBytes,
      uploadedBy: submitter.keyId,
    });
  }

  private async withFileNames(predictions: Prediction[]): Promise<PredictionDto[]> {
    const recordings = new Map((await this.recordings.findByIds([...new Set(predictions.map((p) => p.recordingId))])).map((r) => [r.id, r]));
    return predictions.map((p) => presentPrediction(p, recordings.get(p.recordingId)));
  }

  private async rejectedFiles(batchId: string): Promise<BatchFileDto[]> {
    const events = await this.audit.list({ subjectType: 'batch', subjectId: batchId, action: REJECTED_FILE_ACTION }, { limit: 1000 });
    return events.items.map((event) => event.details as unknown as BatchFileDto).sort((a, b) => a.index - b.index);
  }

  /** The answer to a retried submission: the batch as it is now, with its files; re-queues any job lost before. */
  private async describeExistingBatch(batch: Batch): Promise<BatchCreatedDto> {
    const predictions: Prediction[] = [];
    for (let offset = 0; ; offset += CSV_PAGE) {
      const page = await this.predictions.list({ batchId: batch.id }, { limit: CSV_PAGE, offset });
      predictions.push(...page.items);
      if (offset + CSV_PAGE >= page.total) break;
    }
    const recordings = new Map((await this.recordings.findByIds(predictions.map((p) => p.recordingId))).map((r) => [r.id, r]));
    const pending = predictions.filter((p) => p.status === 'pending');
    // Job ids are prediction ids, so jobs that are already queued are not added twice.
    await this.queue.enqueueMany(
      pending.map((p) => ({ recordingId: p.recordingId, storageKey: recordings.get(p.recordingId)!.storageKey, predictionId: p.id, batchId: batch.id, requestedAt: p.createdAt.toISOString() })),
    );
    const rejected = await this.rejectedFiles(batch.id);
    const queued: BatchFileDto[] = predictions
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((p, i) => ({ index: i, fileName: recordings.get(p.recordingId)?.originalFileName ?? '', status: 'queued', recordingId: p.recordingId, predictionId: p.id, sha256: recordings.get(p.recordingId)?.sha256 }));
    return { ...presentBatch(batch), accepted: predictions.length, rejected: rejected.length, files: [...queued, ...rejected] };
  }
}

export function presentRejected(file: RejectedFile): BatchFileDto {
  return { index: file.index, fileName: file.fileName, status: 'rejected', code: file.code, message: file.message };
}
