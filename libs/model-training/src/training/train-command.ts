// `heartbeat train`: from a data folder to a complete model version directory (tfjs weights,
// manifest, metrics), with per-epoch progress. The ONNX export and model card are added by
// `finaliseModelDirectory` so they can be redone without retraining.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  binaryMetrics,
  type BinaryMetrics,
  calibratedProbability,
  type Calibration,
  DEFAULT_MODEL_INPUT,
  describeModelInput,
  discoverLabelledRecordings,
  type HeartSoundLabel,
  type LabelledRecording,
  type ModelInputSpec,
  type ModelManifest,
  recordingWindows,
  type ScoredRecord,
  TFJS_MODEL_FILE,
  writeModelManifest,
  type TfBackendPreference,
} from '@heartbeat/model';
import { datasetFingerprint, developmentSplit } from '../data/split';
import { initTfBackend } from '../network/backend';
import { buildHeartSoundCnn, networkInputShape } from '../network/cnn';
import { saveTfjsModel } from '../tfjs-runtime/tfjs-model-files';
import { cycleModelManifestFields, trainCycleModel } from '../cycle-model/cycle-model-training';
import { loadConditionedSignals, type ConditionedRecording } from './conditioned-signals';
import {
  DEFAULT_TRAINING_PARAMS,
  type EpochReport,
  type RecordScores,
  type TrainingParams,
  scoreRecordings,
  trainWindowClassifier,
} from './trainer';

export const DEFAULT_MINIMUM_QUALITY = 0.05;
export const DEFAULT_VALIDATION_FRACTION = 0.2;

export interface TrainCommandOptions {
  dataDir: string;
  outDir: string;
  version: string;
  validationFraction?: number;
  /** Leave this subset out of training entirely and report on it (generalisation to a new database). */
  holdOutSubset?: string;
  cacheDir?: string;
  backend?: TfBackendPreference;
  params?: Partial<TrainingParams>;
  /** How recordings become network input (default: DEFAULT_MODEL_INPUT); recorded in the manifest. */
  modelInput?: ModelInputSpec;
  /**
   * Quality gate written into the manifest. Low on purpose: on validation, scores below 0.3 marked a
   * third of the abnormal recordings unsure (murmurs make the envelope less periodic) without
   * predicting errors; 0.05 catches unusable signals (noise, silence, speech) and ~4 % of PhysioNet.
   */
  minimumQuality?: number;
  /** Weight of a heart-cycle model's logit in the score; 0 or absent: the version has none. */
  cycleModelWeight?: number;
  log?: (line: string) => void;
  onEpoch?: (report: EpochReport) => void;
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

export async function runTrainCommand(options: TrainCommandOptions): Promise<TrainingReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const params = { ...DEFAULT_TRAINING_PARAMS, ...options.params };
  const backend = await initTfBackend(options.backend ?? 'auto');
  log(`backend: ${backend}`);

  const recordings = discoverLabelledRecordings(options.dataDir);
  const validationFraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
  const { heldOut, ...split } = developmentSplit(recordings, {
    validationFraction,
    seed: params.seed,
    holdOutSubset: options.holdOutSubset,
  });
  if (options.holdOutSubset && heldOut.length === 0)
    throw new Error(`no recordings in subset ${options.holdOutSubset}`);
  log(
    `recordings: ${recordings.length} (training ${split.training.length}, validation ${split.validation.length}, held out ${heldOut.length})`,
  );

  const { loaded, failed } = await loadConditionedSignals(recordings, {
    cacheDir: options.cacheDir,
    onProgress: (done, total) => done % 250 === 0 && log(`conditioning audio ${done}/${total}`),
  });
  for (const f of failed) log(`skipped ${f.recording.path}: ${f.error}`);
  const byKey = new Map(loaded.map((c) => [keyOf(c.recording), c]));
  const pick = (set: LabelledRecording[]) =>
    set.map((r) => byKey.get(keyOf(r))).filter((c): c is ConditionedRecording => !!c);

  mkdirSync(options.outDir, { recursive: true });
  const modelInput = options.modelInput ?? DEFAULT_MODEL_INPUT;
  const outcome = await trainWindowClassifier({
    training: pick(split.training),
    validation: pick(split.validation),
    buildModel: () => buildHeartSoundCnn({ seed: params.seed, inputShape: networkInputShape(modelInput) }),
    modelInput,
    params,
    onEpoch: (report) => {
      log(
        `epoch ${report.epoch}/${report.epochs} loss ${report.loss.toFixed(4)} val AUC ${report.validationAuc.toFixed(4)} ` +
          `MAcc ${report.validationMacc.toFixed(4)} score ${report.selectionScore.toFixed(4)}${report.improved ? ' *' : ''} ` +
          `(${report.windowsPerSecond.toFixed(1)} windows/s, ${(report.elapsedSeconds / 60).toFixed(1)} min)`,
      );
      options.onEpoch?.(report);
    },
    onImproved: (model) => saveTfjsModel(model, join(options.outDir, 'checkpoint')),
  });

  let decision = {
    calibration: outcome.calibration,
    threshold: outcome.threshold,
    thresholdRule: outcome.thresholdRule,
  };
  let validationScores: RecordScores[] = outcome.validationScores;
  const cycleModelWeight = options.cycleModelWeight ?? 0;
  const cycle =
    cycleModelWeight > 0
      ? trainCycleModel({
          training: pick(split.training),
          validation: outcome.validationScores,
          signalOf: (recording) => byKey.get(keyOf(recording))?.signal,
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
  const validation = decide(validationScores);
  let heldOutReport: TrainingReport['heldOut'];
  if (heldOut.length > 0) {
    const windows = pick(heldOut).map((c) => ({
      recording: c.recording,
      ...recordingWindows(c.signal, modelInput),
    }));
    const networkScores = scoreRecordings(outcome.model, windows);
    const heldOutScores = cycle ? cycle.score(networkScores) : networkScores;
    heldOutReport = { subset: options.holdOutSubset!, ...decide(heldOutScores) };
    writeRecordScores(join(options.outDir, 'held-out-scores.json'), heldOutScores);
  }

  await saveTfjsModel(outcome.model, options.outDir);
  const report: TrainingReport = {
    version: options.version,
    backend,
    bestEpoch: outcome.bestEpoch,
    stoppedBecause: outcome.stoppedBecause,
    minutes: (Date.now() - started) / 60000,
    validation,
    heldOut: heldOutReport,
    history: outcome.history,
    datasetFingerprint: datasetFingerprint(split.training),
    counts: {
      training: split.training.length,
      validation: split.validation.length,
      heldOut: heldOut.length,
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
      params,
      cycleModelWeight: cycle ? cycle.weight : null,
      validationFraction,
      bestEpoch: outcome.bestEpoch,
      datasetFingerprint: report.datasetFingerprint,
      holdOutSubset: options.holdOutSubset ?? null,
    },
  };
  writeModelManifest(options.outDir, manifest);
  outcome.model.dispose();
  return report;
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
 * The validation records a model version was selected and calibrated on, recomputed from the seed and
 * fraction in its manifest, so `heartbeat evaluate` can report on records the network never trained on.
 */
export function validationRecordsOf(
  manifest: ModelManifest,
  recordings: LabelledRecording[],
): LabelledRecording[] {
  return splitOf(manifest, recordings).validation;
}

/** How a model version's training divided `recordings` (from its manifest's seed, fraction and held-out subset). */
export function splitOf(
  manifest: ModelManifest,
  recordings: LabelledRecording[],
): { training: LabelledRecording[]; validation: LabelledRecording[]; heldOut: LabelledRecording[] } {
  const training = manifest.training as
    { params?: { seed?: number }; validationFraction?: number; holdOutSubset?: string | null } | undefined;
  return developmentSplit(recordings, {
    validationFraction: training?.validationFraction ?? DEFAULT_VALIDATION_FRACTION,
    seed: training?.params?.seed ?? DEFAULT_TRAINING_PARAMS.seed,
    holdOutSubset: training?.holdOutSubset,
  });
}

function keyOf(r: LabelledRecording): string {
  return `${r.subset}/${r.id}`;
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
