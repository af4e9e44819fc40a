// Training data, training runs and model versions for admins: labelled uploads into
// training_samples, starting/cancelling runs on the training queue, and the registry's promote /
// roll back / retire. Controllers only translate HTTP to these calls.
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import { decodeAudio, isAudioError, MIN_RECORDING_SEC } from '@heartbeat/audio';
import {
  AuditRepository,
  RecordingsRepository,
  TrainingRunsRepository,
  TrainingSamplesRepository,
  type ModelVersion,
  type TrainingRun,
} from '@heartbeat/db';
import { ModelRegistry, ModelRegistryError, type PromotionOutcome } from '@heartbeat/model-registry';
import {
  retrainParamsSchema,
  siteCalibrationParamsSchema,
  type SiteCalibrationParams,
} from '@heartbeat/queue';
import { z } from 'zod';
import { ERROR_CATALOGUE } from '../common/error-catalogue';
import { ApiError } from '../common/api-error';
import { CONFIG } from '../common/tokens';
import type { Principal } from '../auth/principal';
import { ObjectStorage } from '@heartbeat/storage';
import { TrainingQueueRepository } from '../infrastructure/training-queue.repository';
import { UploadsService } from '../uploads/uploads.service';
import { TrainingUploadLabels } from './training-upload';

const LOG_TAIL_LINES = 20;
const START_LOCK_MS = 5_000;

export interface UploadOutcome {
  accepted: {
    index: number;
    fileName: string;
    label: string;
    sha256: string;
    recordingId: string;
    site: string | null;
  }[];
  duplicates: { index: number; fileName: string; sha256: string; message: string }[];
  rejected: { index: number; fileName: string; code: string; message: string }[];
  samples: { normal: number; abnormal: number };
}

export function presentRun(run: TrainingRun) {
  const metrics = (run.metrics ?? {}) as Record<string, unknown>;
  const number = (key: string) => (typeof metrics[key] === 'number' ? (metrics[key] as number) : null);
  return {
    id: run.id,
    kind: run.kind,
    status: run.status,
    progress: run.progress,
    site: run.site,
    epoch: number('epoch'),
    epochs: number('epochs'),
    loss: number('loss'),
    etaSeconds: run.status === 'running' ? number('etaSeconds') : null,
    modelVersion: typeof metrics.version === 'string' ? metrics.version : null,
    metrics,
    logTail: run.log
      .split('\n')
      .filter((line) => line !== '')
      .slice(-LOG_TAIL_LINES),
    error: run.error,
    params: run.params,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

export function presentModel(row: ModelVersion) {
  return {
    version: row.version,
    status: row.status,
    statusReason: row.statusReason,
    metrics: row.metrics,
    datasetFingerprint: row.datasetFingerprint,
    calibration: row.calibration,
    artifactKeys: row.artifactKeys,
    trainingRunId: row.trainingRunId,
    createdAt: row.createdAt.toISOString(),
    promotedAt: row.promotedAt?.toISOString() ?? null,
    retiredAt: row.retiredAt?.toISOString() ?? null,
  };
}

/** A promotion or a rollback: the version now served, the one before it, and whether anything changed. */
function presentPromotion(outcome: PromotionOutcome) {
  return {
    promoted: presentModel(outcome.promoted),
    previousVersion: outcome.previous?.version ?? null,
    changed: outcome.changed,
  };
}

function registryError(error: unknown): unknown {
  if (!(error instanceof ModelRegistryError)) return error;
  return new ApiError(ERROR_CATALOGUE[error.code].status, error.code, error.message);
}

function parseParams<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success)
    throw new ApiError(
      400,
      'VALIDATION_FAILED',
      `Invalid training parameters: ${z.prettifyError(parsed.error)}`,
      {
        problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      },
    );
  return parsed.data;
}

@Injectable()
export class TrainingService {
  constructor(
    @Inject(TrainingRunsRepository) private readonly runs: TrainingRunsRepository,
    @Inject(TrainingSamplesRepository) private readonly samples: TrainingSamplesRepository,
    @Inject(RecordingsRepository) private readonly recordings: RecordingsRepository,
    @Inject(AuditRepository) private readonly audit: AuditRepository,
    @Inject(ModelRegistry) private readonly registry: ModelRegistry,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(TrainingQueueRepository) private readonly queue: TrainingQueueRepository,
    @Inject(UploadsService) private readonly uploads: UploadsService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  private get uploadLimits() {
    return { maxFiles: this.config.gateway.maxBatchFiles, maxFileBytes: this.config.gateway.maxUploadBytes };
  }

  /**
   * Streams the upload's recordings into storage through the screening upload path (format check,
   * size limit, metrics), then checks each one with the audio lib, one at a time, and adds it as a
   * labelled sample. A recording that cannot be used is left out, and its object removed when this
   * upload wrote it and no recording holds that content.
   */
  async addTrainingData(request: IncomingMessage, principal?: Principal): Promise<UploadOutcome> {
    const labels = new TrainingUploadLabels();
    const staging = await this.uploads.stageAll(labels.files(request, this.uploadLimits));
    const outcome: UploadOutcome = {
      accepted: [],
      duplicates: [],
      rejected: staging.rejected.map(({ index, fileName, code, message }) => ({
        index,
        fileName,
        code,
        message,
      })),
      samples: { normal: 0, abnormal: 0 },
    };
    for (const file of staging.staged) {
      const label = labels.labelFor(file.index);
      let decoded: Awaited<ReturnType<typeof decodeAudio>>;
      try {
        decoded = await decodeAudio(new Uint8Array(await this.storage.getBuffer(file.storageKey)));
        if (decoded.durationSec < MIN_RECORDING_SEC)
          throw Object.assign(
            new Error(
              `The recording lasts ${decoded.durationSec.toFixed(1)} s; at least ${MIN_RECORDING_SEC} s are needed.`,
            ),
            { code: 'TOO_SHORT' },
          );
      } catch (error) {
        const code = isAudioError(error)
          ? error.code
          : (error as { code?: unknown }).code === 'TOO_SHORT'
            ? 'TOO_SHORT'
            : undefined;
        if (!code) throw error;
        if (file.createdObject) await this.uploads.discardUnreferenced([file]);
        outcome.rejected.push({
          index: file.index,
          fileName: file.fileName,
          code,
          message: (error as Error).message,
        });
        continue;
      }
      const recording =
        (await this.recordings.findBySha256(file.sha256)) ??
        (await this.recordings.create({
          storageKey: file.storageKey,
          sha256: file.sha256,
          originalFileName: file.fileName,
          format: decoded.format,
          sampleRate: decoded.sampleRate,
          channels: decoded.channels,
          durationSeconds: decoded.durationSec,
          sizeBytes: file.sizeBytes,
          uploadedBy: principal?.keyId,
        }));
      const sample = await this.samples.add({
        recordingId: recording.id,
        label,
        source: 'upload',
        site: labels.site ?? null,
      });
      if (sample)
        outcome.accepted.push({
          index: file.index,
          fileName: file.fileName,
          label,
          sha256: file.sha256,
          recordingId: recording.id,
          site: sample.site,
        });
      else
        outcome.duplicates.push({
          index: file.index,
          fileName: file.fileName,
          sha256: file.sha256,
          message: `Already a training sample${labels.site ? ` of site ${labels.site}` : ''} (same sha256); ignored. A recording uploaded for another site is tagged for this one too.`,
        });
    }
    outcome.rejected.sort((a, b) => a.index - b.index);
    outcome.samples = await this.samples.countByLabel();
    if (outcome.accepted.length > 0)
      await this.audit.record({
        action: 'training_data.uploaded',
        actorKeyId: principal?.keyId,
        subjectType: 'training_samples',
        details: {
          accepted: outcome.accepted.length,
          duplicates: outcome.duplicates.length,
          rejected: outcome.rejected.length,
          site: labels.site ?? null,
        },
      });
    return outcome;
  }

  async startRetrain(params: unknown, principal?: Principal) {
    const parsed = parseParams(retrainParamsSchema, params);
    return this.startRun({ kind: 'retrain', params: parsed }, principal);
  }

  /** Queues a site calibration run; SitesService checks the site and its records first. */
  async startSiteCalibration(params: SiteCalibrationParams, principal?: Principal) {
    const parsed = parseParams(siteCalibrationParamsSchema, params);
    return this.startRun({ kind: 'calibration', params: parsed, site: parsed.site }, principal);
  }

  async status() {
    const run = (await this.runs.findActive()) ?? (await this.runs.findLatest());
    return { run: run ? presentRun(run) : null };
  }

  async getRun(id: string) {
    const run = z.uuid().safeParse(id).success ? await this.runs.findById(id) : undefined;
    if (!run) throw new ApiError(404, 'TRAINING_RUN_NOT_FOUND', `No training run with id ${id}`, { id });
    return presentRun(run);
  }

  async listRuns(page: { limit?: number; offset?: number }) {
    const result = await this.runs.list(page);
    return { ...result, items: result.items.map(presentRun) };
  }

  async cancel(id: string, principal?: Principal) {
    const run = z.uuid().safeParse(id).success ? await this.runs.findById(id) : undefined;
    if (!run) throw new ApiError(404, 'TRAINING_RUN_NOT_FOUND', `No training run with id ${id}`, { id });
    if (run.status !== 'queued' && run.status !== 'running')
      throw new ApiError(409, 'TRAINING_RUN_FINISHED', `Training run ${id} already ended (${run.status}).`, {
        status: run.status,
      });
    await this.queue.requestCancel(run.id);
    await this.audit.record({
      action: 'training.cancel_requested',
      actorKeyId: principal?.keyId,
      subjectType: 'training_run',
      subjectId: run.id,
      details: {},
    });
    if (run.status === 'queued') {
      await this.queue.removeWaiting(run.id);
      const finished = await this.runs.finish(run.id, 'cancelled', {
        error: 'Cancelled before it started',
      });
      return presentRun(finished ?? run);
    }
    // A running run stops at its next batch; the worker marks it cancelled.
    return presentRun(run);
  }

  async listModels() {
    return { items: (await this.registry.list()).map(presentModel) };
  }

  async getModel(version: string) {
    const row = await this.registry.findByVersion(version);
    if (!row)
      throw new ApiError(404, 'MODEL_VERSION_NOT_FOUND', `Model version ${version} is not registered`, {
        version,
      });
    return presentModel(row);
  }

  /** Manual promotion by an admin: overrides the policy, recorded in the audit trail. */
  async promote(version: string, reason: string | undefined, principal?: Principal) {
    try {
      const outcome = await this.registry.promote(version, {
        reason: reason ?? 'manual promotion by an admin',
        actor: principal?.name ?? 'admin',
        actorKeyId: principal?.keyId,
      });
      return presentPromotion(outcome);
    } catch (error) {
      throw registryError(error);
    }
  }

  async rollback(reason: string | undefined, principal?: Principal) {
    try {
      const outcome = await this.registry.rollback({
        reason,
        actor: principal?.name ?? 'admin',
        actorKeyId: principal?.keyId,
      });
      return presentPromotion(outcome);
    } catch (error) {
      throw registryError(error);
    }
  }

  async retire(version: string, reason: string | undefined, principal?: Principal) {
    try {
      const row = await this.registry.withdraw(version, 'retired', {
        reason: reason ?? 'retired by an admin',
        actor: principal?.name ?? 'admin',
        actorKeyId: principal?.keyId,
      });
      return presentModel(row);
    } catch (error) {
      throw registryError(error);
    }
  }

  /** One active run at a time: a short Redis lock makes the check-and-create atomic across gateways. */
  private async startRun(
    run: { kind: 'retrain' | 'calibration'; params: Record<string, unknown>; site?: string },
    principal?: Principal,
  ) {
    if (!(await this.queue.tryLockStart(START_LOCK_MS))) throw this.alreadyActive();
    try {
      const active = await this.runs.findActive();
      if (active) throw this.alreadyActive(active);
      const created = await this.runs.create({
        kind: run.kind,
        params: run.params,
        site: run.site ?? null,
        requestedBy: principal?.keyId,
      });
      try {
        await this.queue.enqueue({
          runId: created.id,
          kind: run.kind,
          params: run.params,
          requestedAt: new Date().toISOString(),
        });
      } catch (error) {
        // Otherwise the run would stay queued without a job, and every later start would be refused as active.
        const message = 'The training queue could not be reached, so the run never started; start it again.';
        await this.runs.finish(created.id, 'failed', { error: message }).catch(() => undefined);
        throw error;
      }
      await this.audit.record({
        action: run.kind === 'retrain' ? 'training.started' : 'site_calibration.started',
        actorKeyId: principal?.keyId,
        subjectType: 'training_run',
        subjectId: created.id,
        details: { params: run.params, site: run.site ?? null },
      });
      return presentRun(created);
    } finally {
      await this.queue.releaseStartLock();
    }
  }

  private alreadyActive(active?: TrainingRun): ApiError {
    return new ApiError(
      409,
      'TRAINING_RUN_ACTIVE',
      active
        ? `Training run ${active.id} is already ${active.status}; wait for it or cancel it.`
        : 'Another training run is being started; try again.',
      {
        ...(active ? { runId: active.id, status: active.status } : {}),
      },
    );
  }
}
