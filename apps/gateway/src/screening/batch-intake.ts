// A screening batch while its recordings arrive: each stored recording gets its row, its pending
// prediction and its job at once, so workers screen the first files while the rest still uploads.
// The batch stays `receiving` (it cannot complete) until finish() fixes its total.
import { randomUUID } from 'node:crypto';
import {
  GroupCommit,
  type AuditRepository,
  type Batch,
  type BatchesRepository,
  type PredictionsRepository,
  type RegisteredUpload,
  type ScreeningRepository,
} from '@heartbeat/db';
import { BATCH_HANDOFF_TTL_MS, type RecordingHandoff } from '@heartbeat/queue';
import { ApiError } from '../common/api-error';
import type { Reply } from '../common/reply';
import type { PredictionQueueRepository } from '../infrastructure/prediction-queue.repository';
import type { GatewayMetrics } from '../telemetry/gateway-metrics';
import type { RejectedFile, StagedRecording } from '../uploads/uploads.service';
import type { BatchCreatedDto, BatchFileDto } from './dto';
import { API_V1, presentBatch } from './presenters';

export const REJECTED_FILE_ACTION = 'batch.file_rejected';
/** Error code of a queued recording whose batch upload failed before it finished. */
export const UPLOAD_ABORTED = 'UPLOAD_ABORTED';
/** Error code of a single recording (/predict) that was stored but never queued. */
export const NOT_QUEUED = 'NOT_QUEUED';

/**
 * What an abandoned batch will not screen: its predictions never queued, and its jobs still waiting
 * (taken back; running ones finish), fail with UPLOAD_ABORTED and count as failed in the batch.
 * Returns the ids of the predictions failed. The never-queued ones go first, as they need only the
 * database: with Redis out, the queued ones stay pending (their jobs run when it is back, or the
 * stale-upload sweep fails them if Redis lost them).
 */
export async function failUnstartedRecordings(
  deps: {
    queue: Pick<PredictionQueueRepository, 'removeWaiting'>;
    outcomes: Pick<ScreeningRepository, 'failPrediction'>;
  },
  batchId: string,
  { queued, neverQueued }: { queued: readonly string[]; neverQueued: readonly string[] },
  message: string,
): Promise<string[]> {
  const fail = async (ids: readonly string[]) => {
    const failed = await Promise.all(
      ids.map((id) => deps.outcomes.failPrediction(id, batchId, { code: UPLOAD_ABORTED, message })),
    );
    return ids.filter((_, i) => failed[i]);
  };
  const unscreened = await fail(neverQueued);
  let removed: string[];
  try {
    removed = await deps.queue.removeWaiting(queued);
  } catch {
    return unscreened;
  }
  return [...unscreened, ...(await fail(removed))];
}

export interface BrokenOffBatchDependencies {
  batches: Pick<BatchesRepository, 'abandonReceiving'>;
  predictions: Pick<PredictionsRepository, 'listPendingIds'>;
  queue: Pick<PredictionQueueRepository, 'removeWaiting' | 'withoutJob'>;
  outcomes: Pick<ScreeningRepository, 'failPrediction'>;
}

/**
 * Ends a `receiving` batch whose request is gone (a crashed gateway, or a request that could not
 * abandon it): failed, its Idempotency-Key freed, its unstarted recordings failed. Undefined when it
 * was not receiving (another gateway ended it first); else the ids of the predictions failed.
 */
export async function endBrokenOffBatch(
  deps: BrokenOffBatchDependencies,
  batchId: string,
  message: string,
): Promise<string[] | undefined> {
  // Only the caller whose UPDATE changes the row goes on; for the others it is no longer receiving.
  if (!(await deps.batches.abandonReceiving(batchId))) return undefined;
  // The database does not say which pending predictions were queued; the queue does.
  const pending = await deps.predictions.listPendingIds(batchId);
  let neverQueued: string[];
  try {
    neverQueued = await deps.queue.withoutJob(pending);
  } catch {
    // Redis is out: the sweep's orphan pass fails those without a job once it is back.
    return [];
  }
  const queued = pending.filter((id) => !neverQueued.includes(id));
  return failUnstartedRecordings(deps, batchId, { queued, neverQueued }, message);
}

export interface BatchSubmitter {
  /** API key id of the caller, when there is one. */
  keyId?: string;
  /** The site whose calibration decides (see SiteResolver); the model's own decision when absent. */
  site?: string;
}

export interface BatchIntakeDependencies {
  batches: Pick<
    BatchesRepository,
    'create' | 'countReceived' | 'finishReceiving' | 'abandonReceiving' | 'findById'
  >;
  outcomes: Pick<ScreeningRepository, 'failPrediction'>;
  audit: Pick<AuditRepository, 'record'>;
  queue: Pick<PredictionQueueRepository, 'enqueueMany' | 'removeWaiting'>;
  /** Hands small files' bytes to the workers through Redis (best effort; storage stays the source). */
  handoff?: Pick<RecordingHandoff, 'offerMany'>;
  metrics: GatewayMetrics;
  /**
   * Stores the recordings rows and their pending predictions of several files of one receiving batch
   * (one statement), and counts them in it. Answers in the order of `files`.
   */
  registerUploads: (
    batchId: string,
    files: readonly { file: StagedRecording; predictionId: string }[],
    submitter: BatchSubmitter,
  ) => Promise<RegisteredUpload[]>;
  /** The answer to a retried submission whose batch already exists. */
  describeExisting: (batch: Batch) => Promise<BatchCreatedDto>;
}

/** Most files registered and queued together (one SQL statement, one Redis round trip each for offers and jobs). */
export const INTAKE_GROUP_FILES = 16;
/**
 * How long a multipart batch's stored files wait for others to join their group (see
 * BatchIntakeOptions.gatherMs). Files are stored one after another at ~150-200 a second on two
 * cores, so without waiting most groups held 1-3 files (2,656 files: 943 groups); with 50 ms, ~14
 * (194 groups), and the gateway, PostgreSQL and Redis spend less per file. A batch's jobs only wait
 * behind the rest of the batch anyway.
 */
export const UPLOAD_GATHER_MS = 50;

export interface BatchIntakeOptions {
  /**
   * How long an accepted file may wait for more to fill its group (default 0: a group goes on the
   * next turn). Only for callers whose files keep arriving while earlier groups are written (a
   * multipart upload): a caller that waits for each group before it submits more would wait this
   * long per group.
   */
  gatherMs?: number;
}

export function presentRejected(file: RejectedFile): BatchFileDto {
  return {
    index: file.index,
    fileName: file.fileName,
    status: 'rejected',
    code: file.code,
    message: file.message,
  };
}

interface QueuedFile {
  file: StagedRecording;
  recordingId: string;
  predictionId: string;
  enqueued: boolean;
}

/**
 * Receives one batch. accept() and reject() may run concurrently, one call per file; then exactly
 * one of finish() (the upload ended) or abandon() (it failed). The batch row is created with the
 * first accepted file, so a request whose every file is refused creates nothing and answers with
 * the refusal itself.
 */
export class BatchIntake {
  private creating?: Promise<Batch | undefined>;
  private intake?: GroupCommit<QueuedFile, void>;
  private readonly queued: QueuedFile[] = [];
  private readonly rejected: RejectedFile[] = [];
  /** Rejections not yet counted in the batch row (they arrived before it existed). */
  private uncounted: RejectedFile[] = [];

  constructor(
    private readonly deps: BatchIntakeDependencies,
    private readonly submitter: BatchSubmitter,
    private readonly idempotencyKey: string | undefined,
    /** The batch this idempotency key created before, if any. */
    private readonly existing: Batch | undefined,
    private readonly options: BatchIntakeOptions = {},
  ) {}

  /** True when the idempotency key already made a batch: read nothing, answer with finish(). */
  get alreadySubmitted(): boolean {
    return this.existing !== undefined;
  }

  /**
   * Creates the recording, its pending prediction and its job; the batch's running total counts it.
   * Files stored while an earlier file's rows are being written go in together (GroupCommit): one
   * SQL statement and one queue round trip for the group instead of one each per file.
   */
  async accept(file: StagedRecording): Promise<void> {
    const batch = await this.batch();
    if (!batch) return;
    this.intake ??= new GroupCommit((entries: QueuedFile[]) => this.registerAndQueue(batch, entries), {
      // A group is registered before it is queued: written again file by file, it would be registered twice.
      splitOnFailure: false,
      maxItems: INTAKE_GROUP_FILES,
      lingerMs: this.options.gatherMs ?? 0,
    });
    await this.intake.submit({ file, recordingId: '', predictionId: randomUUID(), enqueued: false });
  }

  private async registerAndQueue(batch: Batch, entries: QueuedFile[]): Promise<void[]> {
    // Counted before they are queued, so the batch's total never trails its outcomes.
    const registered = await this.deps.registerUploads(batch.id, entries, this.submitter);
    entries.forEach((entry, i) => {
      entry.recordingId = registered[i]!.recordingId;
      this.queued.push(entry);
    });
    // Before the jobs exist, so a worker never misses an offer (one round trip for the group); then
    // the bytes are let go.
    const offers: { predictionId: string; bytes: Buffer }[] = [];
    for (const entry of entries) {
      const { bytes, ...file } = entry.file;
      entry.file = file;
      if (bytes) offers.push({ predictionId: entry.predictionId, bytes });
    }
    if (offers.length > 0 && this.deps.handoff)
      await this.deps.handoff.offerMany(offers, { ttlMs: BATCH_HANDOFF_TTL_MS }).catch(() => undefined);
    const requestedAt = new Date().toISOString();
    await this.deps.queue.enqueueMany(
      entries.map((entry, i) => ({
        recordingId: entry.recordingId,
        storageKey: registered[i]!.storageKey,
        predictionId: entry.predictionId,
        batchId: batch.id,
        ...(this.submitter.site ? { site: this.submitter.site } : {}),
        requestedAt,
      })),
    );
    for (const entry of entries) entry.enqueued = true;
    this.deps.metrics.predictionsQueued.inc({ source: 'batch' }, entries.length);
    return entries.map(() => undefined);
  }

  /** A file refused at upload: listed with the batch and counted as failed, never queued. */
  async reject(file: RejectedFile): Promise<void> {
    this.rejected.push(file);
    this.uncounted.push(file);
    if (this.creating) await this.countRejections(await this.creating);
  }

  /** The upload ended: fixes the total (the batch may complete from now on) and answers 202. */
  async finish(): Promise<Reply<BatchCreatedDto>> {
    if (this.existing) return this.accepted(this.existing, await this.deps.describeExisting(this.existing));
    const batch = this.creating ? await this.creating : undefined;
    if (!batch) throw this.nothingToScreen();
    await this.countRejections(batch);
    const total = this.queued.length + this.rejected.length;
    const current = await this.deps.batches.finishReceiving(batch.id, total);
    // No longer receiving: it went quiet past STALE_UPLOAD_TIMEOUT_MS and a sweep or a retry ended it.
    if (!current)
      throw new ApiError(
        409,
        'UPLOAD_ENDED',
        'This batch upload was ended before it finished (it was idle longer than STALE_UPLOAD_TIMEOUT_MS, or a retry took over); send the batch again.',
      );
    const files: BatchFileDto[] = [
      ...this.queued.map(({ file, recordingId, predictionId }) => ({
        index: file.index,
        fileName: file.fileName,
        status: 'queued' as const,
        recordingId,
        predictionId,
        sha256: file.sha256,
      })),
      ...this.rejected.map(presentRejected),
    ].sort((a, b) => a.index - b.index);
    return this.accepted(batch, {
      ...presentBatch(current),
      accepted: this.queued.length,
      rejected: this.rejected.length,
      files,
    });
  }

  /**
   * The request failed part-way (too many files, the client went away, storage down): the batch
   * fails and frees its idempotency key for the retry, jobs not yet started are taken back, and
   * their predictions fail with UPLOAD_ABORTED. Best effort: the request's own error is what counts.
   */
  async abandon(): Promise<void> {
    const batch = await this.creating?.catch(() => undefined);
    if (!batch) return;
    try {
      await this.deps.batches.abandonReceiving(batch.id);
      const ids = (enqueued: boolean) =>
        this.queued.filter((q) => q.enqueued === enqueued).map((q) => q.predictionId);
      const message =
        'The batch upload failed before it finished, so this recording was not screened; send the batch again.';
      await failUnstartedRecordings(
        this.deps,
        batch.id,
        { queued: ids(true), neverQueued: ids(false) },
        message,
      );
    } catch {
      // Leftovers are harmless: the batch no longer counts outcomes, and a retry makes a new one.
    }
  }

  private batch(): Promise<Batch | undefined> {
    if (this.existing) return Promise.resolve(undefined);
    this.creating ??= this.create();
    return this.creating;
  }

  private async create(): Promise<Batch | undefined> {
    const { batch, created } = await this.deps.batches.create({
      totalCount: 0,
      idempotencyKey: this.idempotencyKey,
      createdBy: this.submitter.keyId,
      receiving: true,
    });
    // Another request with the same key won the race; it owns that batch.
    if (!created)
      throw new ApiError(
        409,
        'IDEMPOTENCY_KEY_IN_USE',
        'A request with this Idempotency-Key is still being processed; retry when it has finished.',
      );
    this.deps.metrics.batchesCreated.inc();
    await this.countRejections(batch);
    return batch;
  }

  private async countRejections(batch: Batch | undefined): Promise<void> {
    if (!batch) return;
    const files = this.uncounted;
    this.uncounted = [];
    for (const file of files) {
      await this.deps.audit.record({
        actorKeyId: this.submitter.keyId,
        action: REJECTED_FILE_ACTION,
        subjectType: 'batch',
        subjectId: batch.id,
        details: { ...presentRejected(file) },
      });
      await this.deps.batches.countReceived(batch.id, { rejected: true });
    }
  }

  private nothingToScreen(): ApiError {
    if (this.rejected.length === 0)
      return new ApiError(
        400,
        'NO_FILES',
        'The request holds no recordings: send them in the multipart field "files" (or a JSON body {"keys": [...]}).',
      );
    const first = [...this.rejected].sort((a, b) => a.index - b.index)[0]!;
    return new ApiError(
      first.statusCode,
      first.code,
      this.rejected.length === 1
        ? first.message
        : `None of the ${this.rejected.length} files can be screened; first: ${first.message}`,
      {
        files: this.rejected.map(presentRejected),
      },
    );
  }

  private accepted(batch: Batch, body: BatchCreatedDto): Reply<BatchCreatedDto> {
    return { status: 202, headers: { Location: `${API_V1}/batches/${batch.id}` }, body };
  }
}
