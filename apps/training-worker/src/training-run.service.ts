// Executes one training run end to end: data set, training with per-epoch progress and checkpoints,
// evaluation of the candidate and the serving model on the same held-out set, the promotion policy,
// registration, and the run's final status. Every external system arrives as an injected
// collaborator, so the control flow is tested without Postgres, Redis or S3.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SitesRepository, TrainingRun } from '@heartbeat/db';
import {
  checkSiteRecordCounts,
  fitSiteOperatingPointOnScores,
  modelInputOfManifest,
  readModelManifest,
  SiteCalibrationError,
  type BinaryMetrics,
  type LabelledRecording,
  type SiteFit,
} from '@heartbeat/model';
import {
  datasetFingerprint,
  DEFAULT_VALIDATION_FRACTION,
  splitRecordings,
  type EpochReport,
  type SplitPolicy,
  type TrainingCheckpoint,
  type trainModelVersion,
} from '@heartbeat/model-training';
import { decidePromotion, type ModelRegistry, type PromotionDecision } from '@heartbeat/model-registry';
import {
  retrainParamsSchema,
  siteCalibrationParamsSchema,
  type TrainingJob,
  type TrainingResult,
} from '@heartbeat/queue';
import type { Logger } from '@heartbeat/telemetry';
import type { DataSetAssembler } from './data-set';
import type { ModelEvaluation, ModelEvaluator } from './model-evaluator';
import { MonotonicProgress } from './monotonic-progress';
import type { OutageWait } from './outage-wait';
import { nextCandidateVersion } from './versions';

export type TrainingRunStore = Pick<
  import('@heartbeat/db').TrainingRunsRepository,
  'findById' | 'listRunning' | 'markRunning' | 'reportProgress' | 'finish' | 'setCheckpoint'
>;

export type RegistryPort = Pick<
  ModelRegistry,
  'findPromoted' | 'list' | 'materialise' | 'registerModelDirectory' | 'promote' | 'withdraw'
>;

/** Sites and their calibrations; announce() tells the inference workers a site's calibration changed. */
export type SiteCalibrationStore = Pick<SitesRepository, 'findByName' | 'recordCalibration'> & {
  announce(site: string): Promise<unknown>;
};

export interface CheckpointStore {
  /** Stores the checkpoint and returns the key to record on the run. */
  save(runId: string, checkpoint: TrainingCheckpoint): Promise<string>;
  load(key: string): Promise<TrainingCheckpoint>;
}

export interface RunControl {
  isCancelRequested(runId: string): Promise<boolean>;
  clearCancel(runId: string): Promise<void>;
  /** Marks the run as held by this live worker until released. */
  holdLease(runId: string): Promise<() => Promise<void>>;
  isLeased(runId: string): Promise<boolean>;
  /** Puts a job for the run back on the queue (resume after a crash). */
  requeue(runId: string, job: Pick<TrainingJob, 'kind' | 'params'>, checkpointKey?: string): Promise<void>;
}

export interface TrainingRunSettings {
  workDir: string;
  modelCacheDir: string;
  evaluationFraction: number;
  promotionMinMaccGain: number;
  promotionMaxSensitivityDrop: number;
  /** How often the cancel flag is read while training (ms). */
  cancelPollMs?: number;
}

export interface TrainingRunDependencies {
  runs: TrainingRunStore;
  data: Pick<DataSetAssembler, 'assemble' | 'siteSamples'>;
  /** trainModelVersion from @heartbeat/model-training (a stand-in in tests). */
  trainer: { train: typeof trainModelVersion };
  evaluator: Pick<ModelEvaluator, 'evaluate' | 'scoreRecords'>;
  registry: RegistryPort;
  sites: SiteCalibrationStore;
  checkpoints: CheckpointStore;
  control: RunControl;
  settings: TrainingRunSettings;
  logger: Logger;
  /** Steps that need object storage or the database wait out their outages through it; without it they run once. */
  outageWait?: Pick<OutageWait, 'run'>;
}

/** Reports job progress (BullMQ's job.updateProgress). */
export type ProgressSink = (progress: number) => Promise<unknown> | void;

/** A site calibration the fit refused: the run fails with the refusal's code. */
export class SiteCalibrationRefusedError extends Error {
  readonly code: string;
  constructor(
    readonly refusal: SiteCalibrationError,
    readonly calibrationId: string,
    readonly site: string,
  ) {
    super(`${refusal.code}: ${refusal.message}`);
    this.name = 'SiteCalibrationRefusedError';
    this.code = refusal.code;
  }
}

export class TrainingCancelledError extends Error {
  constructor() {
    super('Training run cancelled on request');
    this.name = 'TrainingCancelledError';
  }
}

const ACTOR = 'training-worker';
// Progress milestones: data 0-5 %, training 5-80 %, export 80-85 %, evaluation 85-95 %, registration 95-100 %.
const STAGE = { data: 0.05, trained: 0.8, exported: 0.85, evaluated: 0.95 } as const;

const summary = (m: BinaryMetrics | ModelEvaluation) => ({
  macc: m.macc,
  sensitivity: m.sensitivity,
  specificity: m.specificity,
  auc: m.auc,
});

export class TrainingRunService {
  constructor(private readonly deps: TrainingRunDependencies) {}

  /**
   * A run left `running` by a worker that died (no live lease) is resumed from its checkpoint by
   * re-queueing it, or marked failed when it has none. Called at start-up, before taking jobs.
   */
  async recoverInterruptedRuns(): Promise<{ resumed: string[]; failed: string[] }> {
    const outcome = { resumed: [] as string[], failed: [] as string[] };
    for (const run of await this.deps.runs.listRunning()) {
      if (await this.deps.control.isLeased(run.id)) continue;
      if (run.checkpointKey && run.kind === 'retrain') {
        await this.deps.runs.reportProgress(run.id, run.progress, {
          logLine: `${new Date().toISOString()} worker restarted: resuming from checkpoint ${run.checkpointKey}`,
        });
        await this.deps.control.requeue(run.id, { kind: run.kind, params: run.params }, run.checkpointKey);
        outcome.resumed.push(run.id);
      } else {
        await this.deps.runs.finish(run.id, 'failed', {
          error:
            'The training worker stopped (crash or restart) before the run saved a checkpoint; start a new run',
        });
        outcome.failed.push(run.id);
      }
    }
    return outcome;
  }

  async process(
    job: TrainingJob,
    reportJobProgress: ProgressSink = () => undefined,
  ): Promise<TrainingResult> {
    const { runs, control, logger } = this.deps;
    const run = await this.patiently('reading the run', () => runs.findById(job.runId));
    if (!run)
      return { runId: job.runId, status: 'failed', error: `Training run ${job.runId} does not exist` };
    if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled')
      return { runId: run.id, status: run.status, error: run.error ?? undefined };
    if (run.status === 'running' && (await control.isLeased(run.id)))
      throw new Error(`Training run ${run.id} is being executed by another worker`);
    if (await control.isCancelRequested(run.id)) {
      await runs.finish(run.id, 'cancelled', { error: 'Cancelled before it started' });
      await control.clearCancel(run.id);
      return { runId: run.id, status: 'cancelled', error: 'Cancelled before it started' };
    }

    const release = await control.holdLease(run.id);
    const resuming = run.status === 'running';
    const log = (line: string) => `${new Date().toISOString()} ${line}`;
    const progress = new MonotonicProgress(run.progress, reportJobProgress, (value, extra) =>
      runs.reportProgress(run.id, value, {
        ...extra,
        logLine: extra?.logLine ? log(extra.logLine) : undefined,
      }),
    );
    const cancellation = this.watchCancellation(run.id);
    const patiently = <T>(step: string, attempt: () => Promise<T>) =>
      this.patiently(step, attempt, progress, cancellation);
    const runDir = join(this.deps.settings.workDir, run.id);
    try {
      await patiently('starting the run', () => runs.markRunning(run.id));
      await rm(runDir, { recursive: true, force: true });
      await mkdir(runDir, { recursive: true });
      const result =
        job.kind === 'calibration'
          ? await this.calibrateSite(run, job, runDir, progress, cancellation, patiently)
          : await this.retrain(run, job, runDir, progress, cancellation, patiently, resuming);
      await progress.flush();
      await patiently('recording the result', () =>
        runs.finish(run.id, 'succeeded', { metrics: result.metrics }),
      );
      await reportJobProgress(1);
      logger.info({ runId: run.id, modelVersion: result.modelVersion }, `Training run ${run.id} succeeded`);
      return {
        runId: run.id,
        status: 'succeeded',
        modelVersion: result.modelVersion,
        metrics: result.metrics,
      };
    } catch (error) {
      await progress.flush().catch(() => undefined);
      if (error instanceof TrainingCancelledError) {
        await runs.finish(run.id, 'cancelled', { error: error.message });
        logger.info({ runId: run.id }, `Training run ${run.id} cancelled`);
        return { runId: run.id, status: 'cancelled', error: error.message };
      }
      const message = error instanceof Error ? error.message : String(error);
      const refusal =
        error instanceof SiteCalibrationRefusedError
          ? {
              metrics: {
                stage: 'refused',
                site: error.site,
                calibrationId: error.calibrationId,
                refusal: { code: error.code, message: error.refusal.message, ...error.refusal.figures },
              },
            }
          : {};
      await runs.finish(run.id, 'failed', { error: message, ...refusal });
      logger.error({ runId: run.id, err: message }, `Training run ${run.id} failed`);
      return { runId: run.id, status: 'failed', error: message };
    } finally {
      cancellation.stop();
      await control.clearCancel(run.id).catch(() => undefined);
      await release().catch(() => undefined);
      await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async retrain(
    run: TrainingRun,
    job: TrainingJob,
    runDir: string,
    progress: MonotonicProgress,
    cancellation: CancellationWatch,
    patiently: Patiently,
    resuming: boolean,
  ) {
    const { settings, registry, checkpoints, runs } = this.deps;
    const params = retrainParamsSchema.parse(job.params);
    const checkpointKey = resuming ? run.checkpointKey : null;
    const checkpoint = checkpointKey
      ? await patiently('reading the checkpoint', () => checkpoints.load(checkpointKey))
      : undefined;
    await progress.report(undefined, {
      logLine: checkpoint
        ? `resuming after epoch ${checkpoint.epoch}/${checkpoint.epochs} from ${run.checkpointKey}`
        : 'assembling the data set',
    });

    const recordings = await patiently('assembling the data set', () =>
      this.deps.data.assemble(join(runDir, 'data')),
    );
    // Records keep their side as uploads add data; the policy goes into the manifest, so the split
    // can be recomputed, and trainModelVersion divides the same recordings the same way.
    const split: SplitPolicy = {
      kind: 'record-hash',
      evaluationFraction: settings.evaluationFraction,
      validationFraction: DEFAULT_VALIDATION_FRACTION,
    };
    const { evaluation, validation, training } = splitRecordings(split, recordings);
    const evaluationFingerprint = datasetFingerprint(evaluation);
    cancellation.check();
    await progress.report(STAGE.data, {
      logLine: `data: ${recordings.length} recordings (training ${training.length}, validation ${validation.length}, evaluation ${evaluation.length}, fingerprint ${evaluationFingerprint})`,
    });

    const version = nextCandidateVersion(
      (await patiently('listing model versions', () => registry.list())).map((row) => row.version),
    );
    const candidateDir = join(runDir, version);
    // A retrain keeps the serving model's input (its features) and whether it has a heart-cycle model
    // (with its weight), so the two compare like for like.
    const serving = await patiently('fetching the serving model', () => this.promotedModel());
    const servingManifest = serving ? readModelManifest(serving.dir) : undefined;
    const modelInput = servingManifest ? modelInputOfManifest(servingManifest) : undefined;
    const started = Date.now();
    const history: Pick<EpochReport, 'epoch' | 'loss' | 'validationAuc' | 'validationMacc'>[] = [];
    let savingCheckpoint: Promise<void> = Promise.resolve();
    const { blockFilters, ...trainingParams } = params;
    const trained = await this.deps.trainer.train({
      recordings,
      split,
      outDir: candidateDir,
      version,
      params: trainingParams,
      blockFilters,
      modelInput,
      cycleModelWeight: servingManifest?.decision.cycleModelWeight,
      cacheDir: join(settings.workDir, 'signal-cache'),
      resumeFrom: checkpoint,
      trainCommand: `training-worker run ${run.id}`,
      onProgress: (fraction) => {
        cancellation.check();
        progress.set(STAGE.data + (STAGE.trained - STAGE.data) * fraction);
      },
      onEpoch: (report) => {
        history.push({
          epoch: report.epoch,
          loss: report.loss,
          validationAuc: report.validationAuc,
          validationMacc: report.validationMacc,
        });
        const doneEpochs = report.epoch - (checkpoint?.epoch ?? 0);
        const secondsPerEpoch = (Date.now() - started) / 1000 / Math.max(1, doneEpochs);
        const etaSeconds = Math.round(secondsPerEpoch * (report.epochs - report.epoch));
        void progress.report(STAGE.data + ((STAGE.trained - STAGE.data) * report.epoch) / report.epochs, {
          metrics: {
            stage: 'training',
            version,
            epoch: report.epoch,
            epochs: report.epochs,
            loss: report.loss,
            validationAuc: report.validationAuc,
            validationMacc: report.validationMacc,
            etaSeconds,
            history,
            evaluationFingerprint,
          },
          logLine: `epoch ${report.epoch}/${report.epochs} loss ${report.loss.toFixed(4)} val AUC ${report.validationAuc.toFixed(3)} MAcc ${report.validationMacc.toFixed(3)}${report.improved ? ' *' : ''} (ETA ${etaSeconds} s)`,
        });
      },
      onCheckpoint: (snapshot) => {
        savingCheckpoint = savingCheckpoint
          .then(async () => runs.setCheckpoint(run.id, await checkpoints.save(run.id, snapshot)))
          .catch((error: unknown) =>
            this.deps.logger.warn(
              { runId: run.id, err: (error as Error).message },
              'Could not save a checkpoint',
            ),
          );
      },
    });
    await savingCheckpoint;
    cancellation.check();
    await progress.report(STAGE.exported, { logLine: `exported ${version} (tfjs, ONNX, model card)` });

    const candidate = await this.deps.evaluator.evaluate(candidateDir, evaluation);
    // Fetched again: an admin may have promoted another version while this one trained.
    const promotedNow = await patiently('fetching the serving model', () => this.promotedModel());
    const promoted = promotedNow
      ? await this.deps.evaluator.evaluate(promotedNow.dir, evaluation)
      : undefined;
    cancellation.check();
    const decision = this.decide(candidate, promoted);
    await progress.report(STAGE.evaluated, {
      logLine: `evaluation on ${candidate.count} held-out recordings: ${version} MAcc ${candidate.macc.toFixed(3)}${promoted ? `, ${promoted.version} MAcc ${promoted.macc.toFixed(3)}` : ''}`,
    });

    const evaluationMetrics = {
      fingerprint: evaluationFingerprint,
      count: candidate.count,
      candidate: summary(candidate),
      promoted: promoted ? { version: promoted.version, ...summary(promoted) } : null,
      decision,
    };
    await mergeJson(join(candidateDir, 'metrics.json'), { evaluation: evaluationMetrics });
    return patiently(`registering ${version}`, () =>
      this.registerAndDecide(run, candidateDir, version, decision, {
        stage: 'done',
        version,
        epochs: trained.report.history.length,
        history,
        validation: trained.report.validation.overall,
        evaluation: evaluationMetrics,
        resumedFromEpoch: trained.resumedFromEpoch ?? null,
      }),
    );
  }

  /**
   * Fits a site's operating point on all its labelled recordings, scored by the serving model, and
   * stores it as the site's calibration (on top of whichever model is promoted; no model version).
   * A refused fit is stored too, with its code, and the run fails with that code.
   */
  private async calibrateSite(
    run: TrainingRun,
    job: TrainingJob,
    runDir: string,
    progress: MonotonicProgress,
    cancellation: CancellationWatch,
    patiently: Patiently,
  ) {
    const { sites } = this.deps;
    const params = siteCalibrationParamsSchema.parse({ site: run.site ?? undefined, ...job.params });
    const site = await patiently('reading the site', () => sites.findByName(params.site));
    if (!site)
      throw new Error(
        `Site ${params.site} does not exist; create it (POST /api/v1/sites) and upload its labelled recordings first`,
      );
    const promotedModel = await patiently('fetching the serving model', () => this.promotedModel());
    if (!promotedModel)
      throw new Error('Site calibration needs a promoted model to calibrate on; none is promoted');
    const { version: baseModelVersion, dir: promotedDir } = promotedModel;
    const records: LabelledRecording[] = await patiently(`collecting site ${params.site}'s recordings`, () =>
      this.deps.data.siteSamples(join(runDir, 'data'), params.site),
    );
    const uploaded = countLabels(records);
    const refuse = async (
      error: SiteCalibrationError,
      counts: { normal: number; abnormal: number },
    ): Promise<never> => {
      const refused = await patiently('recording the refusal', () =>
        sites.recordCalibration({
          siteId: site.id,
          status: 'refused',
          baseModelVersion,
          refusalCode: error.code,
          refusalReason: error.message,
          normalRecords: counts.normal,
          abnormalRecords: counts.abnormal,
          metrics: { ...error.figures, uploaded: records.length },
          trainingRunId: run.id,
        }),
      );
      throw new SiteCalibrationRefusedError(error, refused.id, params.site);
    };
    try {
      checkSiteRecordCounts(uploaded);
    } catch (error) {
      if (error instanceof SiteCalibrationError) await refuse(error, uploaded);
      throw error;
    }
    await progress.report(0.1, {
      logLine: `site ${params.site}: ${records.length} labelled recordings (${uploaded.normal} normal, ${uploaded.abnormal} abnormal)`,
    });
    cancellation.check();

    const scored = await this.deps.evaluator.scoreRecords(promotedDir, records);
    cancellation.check();
    const used = countLabels(scored);
    await progress.report(0.7, {
      logLine: `scored ${scored.length} of ${records.length} recordings with ${baseModelVersion}${scored.length < records.length ? ` (${records.length - scored.length} could not be decoded)` : ''}`,
    });
    const manifest = readModelManifest(promotedDir);
    const baseSensitivity = validationSensitivity(promotedDir, manifest.artifacts.metrics);
    let fit: SiteFit;
    try {
      fit = fitSiteOperatingPointOnScores(scored, manifest.decision, {
        baseSensitivity,
        sensitivityMargin: params.sensitivityMargin,
        confidenceZ: params.confidenceZ,
      });
    } catch (error) {
      if (error instanceof SiteCalibrationError) return refuse(error, used);
      throw error;
    }
    const metrics = {
      ...fit.figures,
      baseSensitivity,
      sensitivityMargin: params.sensitivityMargin,
      confidenceZ: params.confidenceZ,
      uploaded: records.length,
      undecodable: records.length - scored.length,
    };
    const calibration = await patiently('recording the calibration', () =>
      sites.recordCalibration({
        siteId: site.id,
        status: 'active',
        baseModelVersion,
        ...fit.decision,
        normalRecords: used.normal,
        abnormalRecords: used.abnormal,
        metrics,
        trainingRunId: run.id,
      }),
    );
    await sites
      .announce(params.site)
      .catch((error: unknown) =>
        this.deps.logger.warn(
          { err: (error as Error).message },
          'Could not announce the new site calibration; workers pick it up when their cache expires',
        ),
      );
    await progress.report(0.95, {
      logLine: `site ${params.site}: threshold ${fit.decision.threshold.toFixed(3)} on all ${scored.length} records, local sensitivity ${fit.figures.sensitivity.toFixed(3)} (95 % lower bound ${fit.figures.sensitivityLowerBound.toFixed(3)}; target ${fit.figures.targetSensitivity.toFixed(3)}), specificity ${fit.figures.specificity.toFixed(3)} (model's own threshold: ${fit.figures.modelSensitivity.toFixed(3)} / ${fit.figures.modelSpecificity.toFixed(3)})`,
    });
    return {
      modelVersion: undefined,
      metrics: {
        stage: 'done',
        site: params.site,
        calibrationId: calibration.id,
        baseModelVersion,
        decision: fit.decision,
        ...metrics,
      },
    };
  }

  /** The promoted version and its directory in the local model cache, or undefined when none is promoted. */
  private async promotedModel(): Promise<{ version: string; dir: string } | undefined> {
    const row = await this.deps.registry.findPromoted();
    if (!row) return undefined;
    return {
      version: row.version,
      dir: await this.deps.registry.materialise(row.version, this.deps.settings.modelCacheDir),
    };
  }

  /** Runs a step through the outage wait (when there is one), its waits logged on the run. */
  private patiently<T>(
    step: string,
    attempt: () => Promise<T>,
    progress?: MonotonicProgress,
    cancellation?: CancellationWatch,
  ): Promise<T> {
    if (!this.deps.outageWait) return attempt();
    return this.deps.outageWait.run(step, attempt, {
      onWait: (message) => {
        this.deps.logger.warn(message);
        void progress?.report(undefined, { logLine: message });
      },
      beforeRetry: () => cancellation?.check(),
    });
  }

  private decide(
    candidate: ModelEvaluation | Parameters<typeof decidePromotion>[0]['candidate'],
    promoted?: Parameters<typeof decidePromotion>[0]['candidate'],
  ): PromotionDecision {
    return decidePromotion({
      candidate,
      promoted,
      margin: this.deps.settings.promotionMinMaccGain,
      maxSensitivityDrop: this.deps.settings.promotionMaxSensitivityDrop,
    });
  }

  private async registerAndDecide(
    run: TrainingRun,
    candidateDir: string,
    version: string,
    decision: PromotionDecision,
    metrics: Record<string, unknown>,
  ): Promise<{ modelVersion: string; metrics: Record<string, unknown> }> {
    const { registry } = this.deps;
    await registry.registerModelDirectory(candidateDir, {
      status: 'candidate',
      trainingRunId: run.id,
      actor: ACTOR,
    });
    if (decision.promote) await registry.promote(version, { reason: decision.reason, actor: ACTOR });
    else await registry.withdraw(version, 'rejected', { reason: decision.reason, actor: ACTOR });
    return {
      modelVersion: version,
      metrics: { ...metrics, promoted: decision.promote, decisionReason: decision.reason },
    };
  }

  private watchCancellation(runId: string): CancellationWatch {
    let requested = false;
    const poll = () =>
      void this.deps.control
        .isCancelRequested(runId)
        .then((value) => (requested ||= value))
        .catch(() => undefined);
    poll();
    const timer = setInterval(poll, this.deps.settings.cancelPollMs ?? 500);
    timer.unref();
    return {
      check: () => {
        if (requested) throw new TrainingCancelledError();
      },
      stop: () => clearInterval(timer),
    };
  }
}

type Patiently = <T>(step: string, attempt: () => Promise<T>) => Promise<T>;

interface CancellationWatch {
  /** Throws TrainingCancelledError once a cancel was requested. */
  check(): void;
  stop(): void;
}

async function mergeJson(file: string, extra: Record<string, unknown>): Promise<void> {
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // a missing metrics file starts empty
  }
  await writeFile(file, JSON.stringify({ ...current, ...extra }, null, 2) + '\n');
}

function countLabels(records: readonly { label: string }[]): { normal: number; abnormal: number } {
  return {
    normal: records.filter((r) => r.label === 'normal').length,
    abnormal: records.filter((r) => r.label === 'abnormal').length,
  };
}

/** The model's own validation sensitivity (metrics.json), which a site's threshold must keep. */
function validationSensitivity(modelDir: string, metricsFile = 'metrics.json'): number {
  let metrics: { validation?: { overall?: { sensitivity?: unknown } } };
  try {
    metrics = JSON.parse(readFileSync(join(modelDir, metricsFile), 'utf8')) as typeof metrics;
  } catch (error) {
    throw new Error(
      `Cannot read the serving model's validation figures (${metricsFile}): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const sensitivity = metrics.validation?.overall?.sensitivity;
  if (typeof sensitivity !== 'number' || !(sensitivity > 0 && sensitivity <= 1))
    throw new Error(
      `The serving model's ${metricsFile} has no validation sensitivity (validation.overall.sensitivity), which site calibration keeps`,
    );
  return sensitivity;
}
