// One prediction job: fetch the recording, prepare it, score its windows through the served model's
// dynamic batcher, decide, and write the outcome where the gateway reads it. Bad input (the
// recording is not usable audio) is an answer, not a failure: it is recorded on the prediction row
// and the job completes with a `failed` result carrying the audio error's code (never retried, never
// dead-lettered), which /predict answers with 422; S3 or
// Postgres out of reach puts the job back in the queue (DependencyUnavailableError), without
// spending an attempt; anything else is thrown so BullMQ retries it with backoff.
import { isAudioError, type DecodeOptions, type HeartSoundWindowLength } from '@heartbeat/audio';
import type {
  BatchesRepository,
  PredictionOutcome,
  PredictionsRepository,
  ScreeningRepository,
  WindowScore,
} from '@heartbeat/db';
import {
  calibratedProbability,
  decideFromWindowLogits,
  heartCycleLogit,
  recordingScore,
  prepareRecording,
  type Lease,
  type ModelInputSpec,
  type PreparedRecording,
} from '@heartbeat/model';
import type { ServedModel } from '@heartbeat/model-registry';
import { DependencyUnavailableError, type PredictionJob, type PredictionResult } from '@heartbeat/queue';
import { ObjectNotFoundError } from '@heartbeat/storage';
import { UnknownSiteError, type SiteDecisions } from './site-decisions';
import { annotateActiveSpan, withSpan } from '@heartbeat/telemetry';

/** Input that no retry can fix; `code` is stored on the prediction row. */
export class BadInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BadInputError';
  }
}

/** `held`: a dependency was out of reach and the job went back to the queue. */
export type JobOutcome = 'succeeded' | 'rejected' | 'error' | 'held';

export interface PredictionProcessorDependencies {
  recordings: { read(job: Pick<PredictionJob, 'storageKey' | 'predictionId' | 'batchId'>): Promise<Buffer> };
  /** Finishes a job's pending prediction and counts it in its batch, in one statement. */
  screening: Pick<ScreeningRepository, 'completePrediction' | 'failPrediction'>;
  /** For jobs queued without a pending prediction: the row is created when they finish. */
  predictions: Pick<PredictionsRepository, 'create'>;
  batches: Pick<BatchesRepository, 'recordOutcome'>;
  models: { acquire(): Lease<ServedModel> | undefined };
  /** Per-site decisions on top of the served model; without it a job's site is ignored. */
  sites?: Pick<SiteDecisions, 'decisionFor'>;
  prepare?: (
    bytes: Uint8Array,
    options: DecodeOptions,
    input: ModelInputSpec,
    heartSoundWindow?: HeartSoundWindowLength,
  ) => Promise<PreparedRecording>;
  /** Names the system an error says is out of reach ('object storage', 'database'), if any. */
  unavailableDependency?: (error: unknown) => string | undefined;
  /** Called once per attempt, for metrics and logs. */
  onJobFinished?: (event: {
    outcome: JobOutcome;
    seconds: number;
    modelVersion?: string;
    error?: Error;
  }) => void;
  now?: () => number;
}

/** The parts of a BullMQ job the processor looks at. */
export interface JobAttempt {
  id?: string;
  attemptsMade: number;
  opts: { attempts?: number };
}

/** Code stored on a prediction whose job failed for good for a reason other than its input. */
export const PREDICTION_FAILED_CODE = 'PREDICTION_FAILED';

export class PredictionProcessor {
  private running = 0;
  private readonly prepare: NonNullable<PredictionProcessorDependencies['prepare']>;
  private readonly now: () => number;

  constructor(private readonly deps: PredictionProcessorDependencies) {
    this.prepare = deps.prepare ?? prepareRecording;
    this.now = deps.now ?? (() => performance.now());
  }

  /** Jobs being processed right now. */
  get inFlight(): number {
    return this.running;
  }

  async process(payload: PredictionJob, job: JobAttempt): Promise<PredictionResult> {
    const started = this.now();
    const lease = this.deps.models.acquire();
    this.running += 1;
    const latencyMs = () => Math.round(this.now() - started);
    let modelVersion: string | undefined;
    try {
      // Without a model the worker is not consuming; this only happens during shutdown.
      if (!lease) throw new Error('No model is loaded yet');
      const model = lease.value;
      modelVersion = model.version;
      // Ids and the model version only: the trace never carries file names or audio.
      annotateActiveSpan({
        'heartbeat.prediction.id': payload.predictionId ?? '',
        'heartbeat.batch.id': payload.batchId ?? '',
        'heartbeat.recording.id': payload.recordingId,
        'heartbeat.model.version': model.version,
      });
      if (payload.modelVersion && payload.modelVersion !== model.version)
        throw new BadInputError(
          'MODEL_VERSION_UNAVAILABLE',
          `Model version ${payload.modelVersion} was requested, but this worker serves ${model.version}`,
        );
      const result = await this.screen(payload, model);
      const outcome: PredictionOutcome = { ...result, modelVersion: model.version, latencyMs: latencyMs() };
      const predictionId = await withSpan('prediction.save', {}, () =>
        this.saveSuccess(payload, job, outcome),
      );
      this.finished('succeeded', started, modelVersion);
      return {
        status: 'succeeded',
        predictionId,
        label: outcome.label,
        probability: outcome.probability,
        quality: outcome.qualityScore,
        windows: outcome.windowScores,
        modelVersion: outcome.modelVersion,
        threshold: outcome.decision?.threshold,
        site: outcome.decision?.site,
        calibrationId: outcome.decision?.calibrationId,
        latencyMs: outcome.latencyMs,
      };
    } catch (caught) {
      this.holdIfUnavailable(caught, started, modelVersion);
      const error = asBadInput(caught) ?? (caught as Error);
      if (error instanceof BadInputError) {
        await withSpan('prediction.save', {}, () =>
          this.saveFailure(payload, job, {
            code: error.code,
            message: error.message,
            latencyMs: latencyMs(),
            modelVersion,
          }),
        ).catch((saveError: unknown) => {
          this.holdIfUnavailable(saveError, started, modelVersion);
          throw saveError;
        });
        this.finished('rejected', started, modelVersion, error);
        return {
          status: 'failed',
          predictionId: payload.predictionId,
          error: { code: error.code, message: error.message },
          modelVersion,
          latencyMs: latencyMs(),
        };
      }
      if (isLastAttempt(job)) {
        // Record the failure so the prediction and its batch are finished, not pending forever.
        await this.saveFailure(payload, job, {
          code: PREDICTION_FAILED_CODE,
          message: `Prediction failed after ${job.attemptsMade + 1} attempts: ${error.message}`,
          latencyMs: latencyMs(),
          modelVersion,
        }).catch(() => undefined);
      }
      this.finished('error', started, modelVersion, error);
      throw error;
    } finally {
      this.running -= 1;
      lease?.release();
    }
  }

  private async screen(payload: PredictionJob, model: ServedModel) {
    // The job's site decides with its calibration in force, on top of this model: no model swap.
    const applied = this.deps.sites
      ? await this.deps.sites.decisionFor(payload.site, model.manifest.decision)
      : { policy: model.manifest.decision, site: undefined, calibrationId: undefined };
    const manifest = applied.calibrationId
      ? { ...model.manifest, decision: { ...model.manifest.decision, ...applied.policy } }
      : model.manifest;
    let bytes: Buffer;
    try {
      bytes = await withSpan('recording.read', {}, async (span) => {
        const read = await this.deps.recordings.read(payload);
        span.setAttribute('heartbeat.recording.bytes', read.byteLength);
        return read;
      });
    } catch (error) {
      if (error instanceof ObjectNotFoundError)
        throw new BadInputError(
          'RECORDING_BYTES_MISSING',
          `The recording's audio is no longer in object storage (${payload.storageKey}); upload it again.`,
        );
      throw error;
    }
    const prepared = await withSpan('audio.prepare', {}, async (span) => {
      const done = await this.prepare(
        bytes,
        {},
        model.input,
        model.cycleModel?.model.spectrogramWindowLength,
      );
      span.setAttributes({
        'heartbeat.audio.duration_seconds': done.durationSeconds,
        'heartbeat.windows': done.windowCount,
      });
      return done;
    });
    // The model call, through the dynamic batcher: this recording's windows share calls with other jobs'.
    const inference = withSpan(
      'model.infer',
      { attributes: { 'heartbeat.model.version': model.version, 'heartbeat.windows': prepared.windowCount } },
      () => model.batcher.predictLogits(prepared.features, prepared.windowCount),
    );
    inference.catch(() => undefined); // awaited below; a throw before that must not leave it unhandled
    // While the batch fills and the network runs off this thread.
    const cycleLogit = heartCycleLogit(prepared, model.cycleModel);
    const decision = decideFromWindowLogits(
      prepared,
      await inference,
      manifest,
      model.cycleModel,
      cycleLogit,
    );
    const { windowSeconds } = model.manifest.input;
    const windowScores: WindowScore[] = decision.windowLogits.map((logit, index) => {
      const startSeconds = decision.windowStartSeconds[index] ?? 0;
      return {
        startSeconds,
        endSeconds: Math.max(startSeconds, Math.min(startSeconds + windowSeconds, prepared.durationSeconds)),
        // A window's probability as if the recording were that window (with the recording's cycle logit).
        probability: calibratedProbability(
          recordingScore(
            logit,
            model.cycleModel && { logit: decision.cycleLogit!, weight: model.cycleModel.weight },
          ),
          manifest.decision.calibration,
        ),
      };
    });
    return {
      label: decision.label,
      probability: decision.probability,
      windowScores,
      qualityScore: decision.quality,
      decision: {
        calibration: manifest.decision.calibration,
        threshold: manifest.decision.threshold,
        minimumQuality: manifest.decision.minimumQuality,
        ...(applied.site ? { site: applied.site } : {}),
        ...(applied.calibrationId ? { calibrationId: applied.calibrationId } : {}),
      },
    };
  }

  private async saveSuccess(
    payload: PredictionJob,
    job: JobAttempt,
    outcome: PredictionOutcome,
  ): Promise<string> {
    if (payload.predictionId) {
      // False when an earlier attempt already finished it (a stalled job run twice): its answer stands.
      await this.deps.screening.completePrediction(payload.predictionId, payload.batchId, outcome);
      return payload.predictionId;
    }
    const row = await this.deps.predictions.create({
      recordingId: payload.recordingId,
      batchId: payload.batchId,
      jobId: job.id,
      status: 'succeeded',
      completedAt: new Date(),
      ...outcome,
    });
    if (payload.batchId) await this.deps.batches.recordOutcome(payload.batchId, 'succeeded');
    return row.id;
  }

  private async saveFailure(
    payload: PredictionJob,
    job: JobAttempt,
    failure: { code: string; message: string; latencyMs: number; modelVersion?: string },
  ): Promise<void> {
    if (payload.predictionId) {
      await this.deps.screening.failPrediction(payload.predictionId, payload.batchId, failure);
    } else {
      await this.deps.predictions.create({
        recordingId: payload.recordingId,
        batchId: payload.batchId,
        jobId: job.id,
        status: 'failed',
        errorCode: failure.code,
        errorMessage: failure.message,
        latencyMs: failure.latencyMs,
        modelVersion: failure.modelVersion,
        completedAt: new Date(),
      });
      if (payload.batchId) await this.deps.batches.recordOutcome(payload.batchId, 'failed');
    }
  }

  /** Throws DependencyUnavailableError when `error` says S3 or the database is out of reach. */
  private holdIfUnavailable(error: unknown, started: number, modelVersion?: string): void {
    const dependency = this.deps.unavailableDependency?.(error);
    if (!dependency) return;
    const unavailable = new DependencyUnavailableError(dependency, error);
    this.finished('held', started, modelVersion, unavailable);
    throw unavailable;
  }

  private finished(outcome: JobOutcome, started: number, modelVersion?: string, error?: Error): void {
    this.deps.onJobFinished?.({ outcome, seconds: (this.now() - started) / 1000, modelVersion, error });
  }
}

function asBadInput(error: unknown): BadInputError | undefined {
  if (error instanceof BadInputError) return error;
  if (error instanceof UnknownSiteError) return new BadInputError(error.code, error.message);
  if (isAudioError(error)) return new BadInputError(error.code, error.message);
  return undefined;
}

function isLastAttempt(job: JobAttempt): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
