// Training a model version, for `heartbeat train` and the training worker alike: divides the
// recordings by a split policy, trains the network (resuming from a checkpoint if given), adds the
// heart-cycle model, fits the decision and writes a complete version directory: tfjs weights,
// manifest (with the split policy, so the split can be recomputed), metrics, record scores and, given
// a train command, the ONNX export and model card. Hooks for progress, per-epoch checkpoints and
// cancellation (an AbortSignal, or a progress hook that throws) let a long-running service drive it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  binaryMetrics,
  type BinaryMetrics,
  calibratedProbability,
  type Calibration,
  DEFAULT_MODEL_INPUT,
  describeModelInput,
  type HeartSoundLabel,
  type LabelledRecording,
  type ModelInputSpec,
  type ModelManifest,
  recordingWindows,
  type ScoredRecord,
  type TfBackendPreference,
  TFJS_MODEL_FILE,
  writeModelManifest,
} from '@heartbeat/model';
import { cycleModelManifestFields, trainCycleModel } from '../cycle-model/cycle-model-training';
import {
  datasetFingerprint,
  type PolicySplit,
  type SplitPolicy,
  splitPolicyOf,
  splitRecordings,
} from '../data/split';
import { finaliseModelDirectory } from '../model-card/model-directory';
import { initTfBackend } from '../network/backend';
import { buildHeartSoundCnn, networkInputShape } from '../network/cnn';
import { saveTfjsModel } from '../tfjs-runtime/tfjs-model-files';
import { restoreCheckpoint, snapshotCheckpoint, type TrainingCheckpoint } from './checkpoint';
import { loadConditionedSignals, type ConditionedRecording } from './conditioned-signals';
import {
  cosineLearningRate,
  DEFAULT_TRAINING_PARAMS,
  type EpochReport,
  fitDecision,
  type RecordScores,
  scoreRecordings,
  type ThresholdRule,
  type TrainingParams,
  trainWindowClassifier,
} from './trainer';

/**
 * Quality gate written into the manifest. Low on purpose: on validation, scores below 0.3 marked a
 * third of the abnormal recordings unsure (murmurs make the envelope less periodic) without
 * predicting errors; 0.05 catches unusable signals (noise, silence, speech) and ~4 % of PhysioNet.
 */
export const DEFAULT_MINIMUM_QUALITY = 0.05;

export interface TrainModelVersionOptions {
  /** Every labelled recording; `split` divides them. */
  recordings: LabelledRecording[];
  /** How: recorded in the manifest as training.split. */
  split: SplitPolicy;
  outDir: string;
  version: string;
  params?: Partial<TrainingParams>;
  /** Network width per conv block (default DEFAULT_BLOCK_FILTERS); small values make quick test runs. */
  blockFilters?: number[];
  backend?: TfBackendPreference;
  cacheDir?: string;
  /** How recordings become network input (default: DEFAULT_MODEL_INPUT); recorded in the manifest. */
  modelInput?: ModelInputSpec;
  /** The manifest's quality gate (default DEFAULT_MINIMUM_QUALITY). */
  minimumQuality?: number;
  /** Weight of a heart-cycle model's logit in the score; 0 or absent: the version has none. */
  cycleModelWeight?: number;
  /** Carry on from this checkpoint (epochs done, weights) instead of starting afresh. */
  resumeFrom?: TrainingCheckpoint;
  /** Given: the ONNX export and model card are written too (finaliseModelDirectory), naming this command. */
  trainCommand?: string;
  /** Stops the run between recordings while conditioning and between batches (the signal's reason is thrown). */
  signal?: AbortSignal;
  log?: (line: string) => void;
  onEpoch?: (report: EpochReport) => void;
  /** Fraction of the whole training (0-1) after every batch; may throw to stop the run. */
  onProgress?: (fraction: number) => void;
  /** After every epoch, a snapshot of the weights (the caller stores it; resumeFrom takes it back). */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => void;
  /** When an epoch beats every earlier one, with the network as it is then. */
  onImproved?: (model: tf.LayersModel, report: EpochReport) => Promise<void>;
}

export interface SubsetReport {
  overall: BinaryMetrics;
  perSubset: Record<string, BinaryMetrics>;
}

export interface TrainingReport {
  version: string;
  backend: string;
  bestEpoch: number;
  stoppedBecause: string;
  minutes: number;
  validation: SubsetReport;
  heldOut?: SubsetReport & { subset: string };
  history: EpochReport[];
  datasetFingerprint: string;
  counts: { training: number; validation: number; heldOut: number; failedToDecode: number };
}

export interface TrainedModelVersion {
  report: TrainingReport;
  /** The recordings as the split policy divided them (evaluation: what training never saw). */
  split: PolicySplit;
  resumedFromEpoch?: number;
}

export async function trainModelVersion(options: TrainModelVersionOptions): Promise<TrainedModelVersion> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const params = { ...DEFAULT_TRAINING_PARAMS, ...options.params };
  const modelInput = options.modelInput ?? DEFAULT_MODEL_INPUT;
  const backend = await initTfBackend(options.backend ?? 'auto');
  log(`backend: ${backend}`);

  const split = splitRecordings(options.split, options.recordings);
  const holdOutSubset = options.split.kind === 'stratified' ? options.split.holdOutSubset : null;
  if (holdOutSubset && split.heldOut.length === 0)
    throw new Error(
      `no recordings in subset ${holdOutSubset} to hold out; the data has ${[...new Set(options.recordings.map((r) => r.subset))].sort().join(', ')}`,
    );
  log(
    `recordings: ${options.recordings.length} (training ${split.training.length}, validation ${split.validation.length}` +
      `${split.heldOut.length ? `, held out ${split.heldOut.length}` : ''}${split.evaluation.length ? `, evaluation ${split.evaluation.length}` : ''})`,
  );

  const { loaded, failed } = await loadConditionedSignals(
    [...split.training, ...split.validation, ...split.heldOut],
    {
      cacheDir: options.cacheDir,
      onProgress: (done, total) => {
        options.signal?.throwIfAborted();
        if (done % 250 === 0) log(`conditioning audio ${done}/${total}`);
      },
    },
  );
  for (const failure of failed) log(`skipped ${failure.recording.path}: ${failure.error}`);
  const byPath = new Map(loaded.map((c) => [c.recording.path, c]));
  const pick = (set: LabelledRecording[]) =>
    set.map((r) => byPath.get(r.path)).filter((c): c is ConditionedRecording => c !== undefined);
  const training = pick(split.training);
  const validation = pick(split.validation);
  for (const label of ['normal', 'abnormal'])
    if (!training.some((c) => c.recording.label === label))
      throw new Error(
        `Cannot train: no decodable ${label} recording in the training set (${training.length} of ` +
          `${split.training.length} training recordings decoded; the split put ${split.validation.length} in validation). ` +
          `Add ${label} recordings to the data`,
      );
  options.signal?.throwIfAborted();
  mkdirSync(options.outDir, { recursive: true });

  const resume = options.resumeFrom;
  const done = resume?.epoch ?? 0;
  const remaining = Math.max(0, params.epochs - done);
  const buildModel = () => {
    const model = buildHeartSoundCnn({
      seed: params.seed,
      blockFilters: options.blockFilters,
      inputShape: networkInputShape(modelInput),
    });
    if (resume) restoreCheckpoint(model, resume);
    return model;
  };
  const history: EpochReport[] = [...(resume?.history ?? [])];
  let model: tf.LayersModel;
  let decision: { calibration: Calibration; threshold: number; thresholdRule: ThresholdRule };
  let validationScores: RecordScores[];
  let bestEpoch = done;
  let stoppedBecause = 'epochs';
  if (remaining === 0) {
    // The crash came after the last epoch: only the decision is left to fit.
    model = buildModel();
    validationScores = scoreRecordings(
      model,
      validation.map((c) => ({ recording: c.recording, ...recordingWindows(c.signal, modelInput) })),
    );
    decision = fitDecision(validationScores, params.thresholdRule);
  } else {
    let current: tf.LayersModel | undefined;
    const outcome = await trainWindowClassifier({
      training,
      validation,
      buildModel: () => (current = buildModel()),
      modelInput,
      params: {
        ...params,
        epochs: remaining,
        // Carry on down the cosine where the interrupted run was.
        learningRate: done > 0 ? cosineLearningRate(done + 1, params) : params.learningRate,
      },
      onBatch: (epochFraction) => {
        options.signal?.throwIfAborted();
        const completed = history.length - done;
        options.onProgress?.((done + completed + epochFraction) / params.epochs);
      },
      onEpoch: (report) => {
        const shifted = { ...report, epoch: report.epoch + done, epochs: params.epochs };
        history.push(shifted);
        log(
          `epoch ${shifted.epoch}/${shifted.epochs} loss ${report.loss.toFixed(4)} val AUC ${report.validationAuc.toFixed(4)} ` +
            `MAcc ${report.validationMacc.toFixed(4)} score ${report.selectionScore.toFixed(4)}${report.improved ? ' *' : ''} ` +
            `(${report.windowsPerSecond.toFixed(1)} windows/s, ${(report.elapsedSeconds / 60).toFixed(1)} min)`,
        );
        options.onEpoch?.(shifted);
        if (current && options.onCheckpoint)
          options.onCheckpoint(snapshotCheckpoint(current, history, shifted.epoch, params.epochs));
      },
      onImproved: options.onImproved,
    });
    model = outcome.model;
    decision = {
      calibration: outcome.calibration,
      threshold: outcome.threshold,
      thresholdRule: outcome.thresholdRule,
    };
    validationScores = outcome.validationScores;
    bestEpoch = outcome.bestEpoch + done;
    stoppedBecause = outcome.stoppedBecause;
  }

  const cycleModelWeight = options.cycleModelWeight ?? 0;
  const cycle =
    cycleModelWeight > 0
      ? trainCycleModel({
          training,
          validation: validationScores,
          signalOf: (recording) => byPath.get(recording.path)?.signal,
          weight: cycleModelWeight,
          thresholdRule: params.thresholdRule,
          outDir: options.outDir,
        })
      : undefined;
  if (cycle) {
    validationScores = cycle.validationScores;
    decision = {
      calibration: cycle.calibration,
      threshold: cycle.threshold,
      thresholdRule: cycle.thresholdRule,
    };
    log(`heart-cycle model fitted (weight ${cycleModelWeight}); decision refitted on the combined scores`);
  }
  const decide = (scores: RecordScores[]) => reportFor(scores, decision.calibration, decision.threshold);
  let heldOutReport: TrainingReport['heldOut'];
  if (holdOutSubset && split.heldOut.length > 0) {
    const windows = pick(split.heldOut).map((c) => ({
      recording: c.recording,
      ...recordingWindows(c.signal, modelInput),
    }));
    const networkScores = scoreRecordings(model, windows);
    const heldOutScores = cycle ? cycle.score(networkScores) : networkScores;
    heldOutReport = { subset: holdOutSubset, ...decide(heldOutScores) };
    writeRecordScores(join(options.outDir, 'held-out-scores.json'), heldOutScores);
  }

  await saveTfjsModel(model, options.outDir);
  model.dispose();
  const report: TrainingReport = {
    version: options.version,
    backend,
    bestEpoch,
    stoppedBecause,
    minutes: (Date.now() - started) / 60_000,
    validation: decide(validationScores),
    heldOut: heldOutReport,
    history,
    datasetFingerprint: datasetFingerprint(split.training),
    counts: {
      training: training.length,
      validation: validation.length,
      heldOut: split.heldOut.length,
      failedToDecode: failed.length,
    },
  };
  writeFileSync(join(options.outDir, 'metrics.json'), JSON.stringify(report, null, 2) + '\n');
  writeRecordScores(join(options.outDir, 'validation-scores.json'), validationScores);
  const manifest: ModelManifest = {
    schemaVersion: 1,
    name: 'heartbeat-pcg-cnn',
    version: options.version,
    createdAt: new Date().toISOString(),
    input: describeModelInput(modelInput),
    decision: {
      ...decision,
      minimumQuality: options.minimumQuality ?? DEFAULT_MINIMUM_QUALITY,
      ...cycleModelManifestFields(cycle).decision,
    },
    artifacts: {
      tfjs: TFJS_MODEL_FILE,
      metrics: 'metrics.json',
      ...cycleModelManifestFields(cycle).artifacts,
    },
    training: {
      params: { ...params, blockFilters: options.blockFilters ?? null },
      cycleModelWeight: cycle ? cycle.weight : null,
      split: options.split,
      bestEpoch,
      datasetFingerprint: report.datasetFingerprint,
      resumedFromEpoch: resume ? done : null,
    },
  };
  writeModelManifest(options.outDir, manifest);
  if (options.trainCommand !== undefined)
    await finaliseModelDirectory(options.outDir, { trainCommand: options.trainCommand });
  return { report, split, resumedFromEpoch: resume ? done : undefined };
}

/** One row of validation-scores.json / held-out-scores.json. */
export interface RecordScoreRow {
  id: string;
  subset: string;
  label: HeartSoundLabel;
  meanLogit: number;
  cycleLogit?: number;
  /** Absent in files written before heart-cycle models (then the mean logit is the score). */
  score?: number;
}

/** Record-level scores, kept so the decision can be refitted (site calibration) without the network. */
export function writeRecordScores(file: string, scores: RecordScores[]): void {
  const rows: RecordScoreRow[] = scores.map((s) => ({
    id: s.recording.id,
    subset: s.recording.subset,
    label: s.recording.label,
    meanLogit: s.meanLogit,
    ...(s.cycleLogit === undefined ? {} : { cycleLogit: s.cycleLogit, score: s.score }),
  }));
  writeFileSync(file, JSON.stringify(rows, null, 1));
}

/** A record scores file as the calibration reads it. */
export function readRecordScores(file: string): (ScoredRecord & { subset: string })[] {
  const rows = JSON.parse(readFileSync(file, 'utf8')) as RecordScoreRow[];
  return rows.map((row) => ({
    id: row.id,
    subset: row.subset,
    label: row.label,
    score: row.score ?? row.meanLogit,
  }));
}

/**
 * The validation records a model version was selected and calibrated on, recomputed with the split
 * policy in its manifest, so `heartbeat evaluate` can report on records the network never trained on.
 */
export function validationRecordsOf(
  manifest: ModelManifest,
  recordings: LabelledRecording[],
): LabelledRecording[] {
  return splitOf(manifest, recordings).validation;
}

/** How a model version's training divided `recordings` (the split policy in its manifest). */
export function splitOf(manifest: ModelManifest, recordings: LabelledRecording[]): PolicySplit {
  return splitRecordings(splitPolicyOf(manifest.training, DEFAULT_TRAINING_PARAMS.seed), recordings);
}

export function reportFor(
  scores: { recording: Pick<LabelledRecording, 'label' | 'subset'>; score: number }[],
  calibration: Calibration,
  threshold: number,
): SubsetReport {
  const metricsOf = (set: typeof scores) =>
    binaryMetrics(
      set.map((s) => (s.recording.label === 'abnormal' ? 1 : 0)),
      set.map((s) => calibratedProbability(s.score, calibration)),
      threshold,
    );
  const perSubset: Record<string, BinaryMetrics> = {};
  for (const subset of [...new Set(scores.map((s) => s.recording.subset))].sort()) {
    perSubset[subset] = metricsOf(scores.filter((s) => s.recording.subset === subset));
  }
  return { overall: metricsOf(scores), perSubset };
}
