// Screening: turns staged recordings into recordings rows, pending predictions and queued jobs, and
// answers for batches, predictions and recordings. /predict waits for its job; batches never do
// (their recordings are queued one by one as they arrive, see BatchIntake).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import {
  AuditRepository,
  BatchesRepository,
  PredictionsRepository,
  RecordingsRepository,
  ScreeningRepository,
  type Batch,
  type Prediction,
  type RegisteredUpload,
} from '@heartbeat/db';
import { JobFailedError, JobTimeoutError, RecordingHandoff, type PredictionResult } from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { ApiError, notFound } from '../common/api-error';
import type { Reply } from '../common/reply';
import { CONFIG } from '../common/tokens';
import {
  PredictionQueueRepository,
  type QueuedPrediction,
} from '../infrastructure/prediction-queue.repository';
import { GatewayMetrics } from '../telemetry/gateway-metrics';
import type { StagedRecording, StagingOutcome } from '../uploads/uploads.service';
import {
  BatchIntake,
  endBrokenOffBatch,
  NOT_QUEUED,
  REJECTED_FILE_ACTION,
  type BatchIntakeOptions,
  type BatchSubmitter,
} from './batch-intake';
import type {
  BatchCreatedDto,
  BatchFileDto,
  BatchResultsDto,
  BatchStatusDto,
  DownloadLinkDto,
  PredictionDto,
  PredictPendingDto,
  PredictResultDto,
} from './dto';
import {
  API_V1,
  CSV_COLUMNS,
  csvRecord,
  presentBatch,
  presentPrediction,
  rejectedCsvRecord,
} from './presenters';
import { batchDiagnosticReport, predictionObservation, toCsv } from '@heartbeat/contracts';
import type { DiagnosticReport, Observation } from '@medplum/fhirtypes';

export type Submitter = BatchSubmitter;

const INSERT_CONCURRENCY = 8;
const RETRIED_UPLOAD_MESSAGE =
  'The batch upload broke off before it finished; a retry with the same Idempotency-Key started the batch afresh, which screens the recordings it carries.';
/** Predictions read per query when a whole batch is needed (CSV and FHIR exports, a retried submission). */
const PAGE_SIZE = 1000;

async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
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

/** The recordings row of a stored upload. */
function recordingOf(file: StagedRecording, submitter: Submitter) {
  return {
    storageKey: file.storageKey,
    sha256: file.sha256,
    originalFileName: file.fileName,
    format: file.format,
    sizeBytes: file.sizeBytes,
    uploadedBy: submitter.keyId,
  };
}

@Injectable()
export class ScreeningService {
  constructor(
    @Inject(RecordingsRepository) private readonly recordings: RecordingsRepository,
    @Inject(ScreeningRepository)
    private readonly screening: Pick<
      ScreeningRepository,
      'registerUpload' | 'registerUploads' | 'failPrediction'
    >,
    @Inject(PredictionsRepository) private readonly predictions: PredictionsRepository,
    @Inject(BatchesRepository) private readonly batches: BatchesRepository,
    @Inject(AuditRepository) private readonly audit: AuditRepository,
    @Inject(PredictionQueueRepository) private readonly queue: PredictionQueueRepository,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(RecordingHandoff) private readonly handoff: Pick<RecordingHandoff, 'offer' | 'offerMany'>,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** One recording, screened while the client waits up to PREDICT_TIMEOUT_MS; then 202 with a URL to poll. */
  async predict(
    staged: StagedRecording,
    submitter: Submitter,
  ): Promise<Reply<PredictResultDto | PredictPendingDto | object>> {
    const predictionId = randomUUID();
    const recording = await this.registerUpload(staged, submitter, predictionId);
    // The bytes are stored already; the handoff only spares the worker reading them back.
    if (staged.bytes) await this.handoff.offer(predictionId, staged.bytes).catch(() => false);
    let job: QueuedPrediction;
    try {
      job = await this.queue.enqueueInteractive({
        recordingId: recording.recordingId,
        storageKey: recording.storageKey,
        predictionId,
        ...(submitter.site ? { site: submitter.site } : {}),
        requestedAt: new Date().toISOString(),
      });
    } catch (error) {
      // Otherwise the stored recording's prediction would stay pending for ever (best effort: the
      // database may be the thing that is down; the stale-upload sweep catches what is left).
      const message =
        'The job queue could not be reached, so this recording was not screened; send it again.';
      await this.predictions.fail(predictionId, { code: NOT_QUEUED, message }).catch(() => undefined);
      throw error;
    }
    this.metrics.predictionsQueued.inc({ source: 'predict' });
    const jobId = job.id ?? predictionId;
    let result: PredictionResult;
    try {
      result = await this.queue.waitForResult(job, this.config.gateway.predictTimeoutMs);
    } catch (error) {
      if (error instanceof JobTimeoutError) {
        const statusUrl = `${API_V1}/predictions/${predictionId}`;
        return {
          status: 202,
          headers: { Location: statusUrl },
          body: {
            status: 'pending',
            predictionId,
            jobId,
            statusUrl,
            message: `The prediction is still running after ${this.config.gateway.predictTimeoutMs} ms; poll statusUrl.`,
          },
        };
      }
      if (error instanceof JobFailedError)
        throw new ApiError(
          503,
          'PREDICTION_FAILED',
          `The prediction could not be completed: ${error.message}. Retry later.`,
          { predictionId, jobId },
        );
      throw error;
    }
    if (result.status === 'failed') {
      return {
        status: 422,
        body: {
          statusCode: 422,
          code: result.error.code,
          message: result.error.message,
          details: { predictionId, jobId, fileName: staged.fileName },
        },
      };
    }
    const probability = result.probability;
    const body: PredictResultDto = {
      id: predictionId,
      recordingId: recording.recordingId,
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
      site: result.site ?? null,
      calibrationId: result.calibrationId ?? null,
      threshold: result.threshold ?? null,
      latencyMs: result.latencyMs,
      error: null,
      jobId,
      createdAt: new Date().toISOString(),
      completedAt: new Date().toISOString(),
    };
    return { status: 200, body };
  }

  /**
   * Starts receiving a batch (see BatchIntake). When the idempotency key already made a batch, the
   * intake says so at once, so the caller can skip storing the upload again. A batch of that key
   * still `receiving` is a partial upload whose request died (the caller holds the key's lock, which
   * a live request keeps renewing): it is ended and this request starts afresh, so a retry is never
   * answered with a partial batch. `options.gatherMs`: see BatchIntakeOptions (for a multipart upload).
   */
  async receiveBatch(
    submitter: Submitter,
    idempotencyKey?: string,
    options: BatchIntakeOptions = {},
  ): Promise<BatchIntake> {
    let existing =
      idempotencyKey === undefined ? undefined : await this.batches.findByIdempotencyKey(idempotencyKey);
    if (existing?.status === 'receiving') {
      await endBrokenOffBatch(
        { batches: this.batches, predictions: this.predictions, queue: this.queue, outcomes: this.screening },
        existing.id,
        RETRIED_UPLOAD_MESSAGE,
      );
      existing = undefined;
    }
    return new BatchIntake(
      {
        batches: this.batches,
        outcomes: this.screening,
        audit: this.audit,
        queue: this.queue,
        handoff: this.handoff,
        metrics: this.metrics,
        registerUploads: (batchId, files, by) =>
          this.screening.registerUploads(
            batchId,
            files.map(({ file, predictionId }) => ({
              recording: recordingOf(file, by),
              predictionId,
              site: by.site,
            })),
          ),
        describeExisting: (batch) => this.describeExistingBatch(batch),
      },
      submitter,
      idempotencyKey,
      existing,
      options,
    );
  }

  /**
   * Creates a batch from recordings staged up front (keys already in the bucket): one recordings
   * row, one pending prediction and one job each. Files rejected while staging count as failed in
   * the batch's progress and are listed with it. A retried submission gets the batch it created.
   */
  async submitBatch(
    outcome: StagingOutcome,
    submitter: Submitter,
    idempotencyKey?: string,
  ): Promise<Reply<BatchCreatedDto>> {
    const intake = await this.receiveBatch(submitter, idempotencyKey);
    if (intake.alreadySubmitted) return intake.finish();
    let failure: unknown;
    const settle = (work: Promise<void>) => work.catch((error: unknown) => void (failure ??= error));
    for (const file of outcome.rejected) await settle(intake.reject(file));
    await mapConcurrently(outcome.staged, INSERT_CONCURRENCY, (file) =>
      failure ? Promise.resolve() : settle(intake.accept(file)),
    );
    try {
      if (failure) throw failure;
      return await intake.finish();
    } catch (error) {
      await intake.abandon();
      throw error;
    }
  }

  async getBatch(id: string): Promise<BatchStatusDto> {
    return presentBatch(await this.findBatch(id));
  }

  async getBatchResults(id: string, page: { limit?: number; offset?: number }): Promise<BatchResultsDto> {
    const batch = await this.findBatch(id);
    const results = await this.predictions.list(
      { batchId: id },
      { limit: page.limit ?? 50, offset: page.offset ?? 0 },
    );
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
    const predictions = await this.withFileNames(await this.allPredictions(id));
    const rejected = await this.rejectedFiles(id);
    return toCsv(CSV_COLUMNS, [...predictions.map(csvRecord), ...rejected.map(rejectedCsvRecord)]);
  }

  /** The batch as a FHIR R4 DiagnosticReport carrying one Observation per recording. */
  async getBatchReportFhir(id: string): Promise<DiagnosticReport> {
    const batch = presentBatch(await this.findBatch(id));
    const predictions = (await this.allPredictions(id)).map((prediction) => presentPrediction(prediction));
    return batchDiagnosticReport(batch, predictions);
  }

  /** One prediction as a FHIR R4 Observation. */
  async getPredictionFhir(id: string): Promise<Observation> {
    return predictionObservation(await this.getPrediction(id));
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
    const url = await this.storage.presignedGetUrl(recording.storageKey, {
      expiresInSeconds,
      downloadName: recording.originalFileName,
    });
    return { url, fileName: recording.originalFileName, expiresInSeconds };
  }

  private async findBatch(id: string): Promise<Batch> {
    const batch = await this.batches.findById(id);
    if (!batch) throw notFound('BATCH_NOT_FOUND', 'batch', id);
    return batch;
  }

  private registerUpload(
    file: StagedRecording,
    submitter: Submitter,
    predictionId: string,
    batchId?: string,
  ): Promise<RegisteredUpload> {
    return this.screening.registerUpload({
      recording: recordingOf(file, submitter),
      predictionId,
      batchId,
      site: submitter.site,
    });
  }

  private async withFileNames(predictions: Prediction[]): Promise<PredictionDto[]> {
    const recordings = new Map(
      (await this.recordings.findByIds([...new Set(predictions.map((p) => p.recordingId))])).map((r) => [
        r.id,
        r,
      ]),
    );
    return predictions.map((p) => presentPrediction(p, recordings.get(p.recordingId)));
  }

  private async rejectedFiles(batchId: string): Promise<BatchFileDto[]> {
    const events = await this.audit.list(
      { subjectType: 'batch', subjectId: batchId, action: REJECTED_FILE_ACTION },
      { limit: 1000 },
    );
    return events.items
      .map((event) => event.details as unknown as BatchFileDto)
      .sort((a, b) => a.index - b.index);
  }

  /** Every prediction of a batch, read page by page. */
  private async allPredictions(batchId: string): Promise<Prediction[]> {
    const predictions: Prediction[] = [];
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const page = await this.predictions.list({ batchId }, { limit: PAGE_SIZE, offset });
      predictions.push(...page.items);
      if (offset + PAGE_SIZE >= page.total) break;
    }
    return predictions;
  }

  /** The answer to a retried submission: the batch as it is now, with its files; re-queues any job lost before. */
  private async describeExistingBatch(batch: Batch): Promise<BatchCreatedDto> {
    const predictions = await this.allPredictions(batch.id);
    const recordings = new Map(
      (await this.recordings.findByIds(predictions.map((p) => p.recordingId))).map((r) => [r.id, r]),
    );
    const pending = predictions.filter((p) => p.status === 'pending');
    // Job ids are prediction ids, so jobs that are already queued are not added twice.
    await this.queue.enqueueMany(
      pending.map((p) => ({
        recordingId: p.recordingId,
        storageKey: recordings.get(p.recordingId)!.storageKey,
        predictionId: p.id,
        batchId: batch.id,
        ...(p.requestedSite ? { site: p.requestedSite } : {}),
        requestedAt: p.createdAt.toISOString(),
      })),
    );
    const rejected = await this.rejectedFiles(batch.id);
    const queued: BatchFileDto[] = predictions
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((p, i) => ({
        index: i,
        fileName: recordings.get(p.recordingId)?.originalFileName ?? '',
        status: 'queued',
        recordingId: p.recordingId,
        predictionId: p.id,
        sha256: recordings.get(p.recordingId)?.sha256,
      }));
    return {
      ...presentBatch(batch),
      accepted: predictions.length,
      rejected: rejected.length,
      files: [...queued, ...rejected],
    };
  }
}
