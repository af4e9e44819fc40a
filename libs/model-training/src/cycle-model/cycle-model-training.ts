// Adding a heart-cycle model to a trained network: fit it on the training recordings, add its
// weighted logit to every validation (and held-out) record's score, refit the decision on those
// scores and write the model file. `heartbeat train`, the training worker and
// scripts/model/refit-cycle-model.ts (a version from an existing network's scores) go through here.
import { join } from 'node:path';
import {
  CYCLE_MODEL_FILE,
  CYCLE_MODEL_SPECTROGRAM_WINDOW,
  type CycleFeatureSet,
  cycleFeaturesOf,
  type CycleModel,
  cycleModelLogit,
  fitCycleModel,
  type LabelledRecording,
  recordingScore,
  writeCycleModel,
} from '@heartbeat/model';
import type { ConditionedRecording } from '../training/conditioned-signals';
import { fitDecision, type ThresholdRule } from '../training/trainer';
import type { HeartSoundWindowLength } from '@heartbeat/audio';

type Scored = { recording: LabelledRecording; meanLogit: number };

export interface CycleModelOutcome<S extends Scored> {
  cycleModel: CycleModel;
  weight: number;
  file: string;
  /** The validation scores with the cycle logit and the combined score. */
  validationScores: (S & { cycleLogit: number; score: number })[];
  calibration: ReturnType<typeof fitDecision>['calibration'];
  threshold: number;
  thresholdRule: ThresholdRule;
  /** Adds the cycle logit and combined score to other records (a held-out subset). */
  score<T extends Scored>(records: T[]): (T & { cycleLogit: number; score: number })[];
}

/** What a version's manifest says of its heart-cycle model (nothing for a version without one). */
export function cycleModelManifestFields(cycle: { weight: number } | undefined): {
  decision: { cycleModelWeight?: number };
  artifacts: { cycleModel?: string };
} {
  return cycle
    ? { decision: { cycleModelWeight: cycle.weight }, artifacts: { cycleModel: CYCLE_MODEL_FILE } }
    : { decision: {}, artifacts: {} };
}

export function trainCycleModel<S extends Scored>(options: {
  training: readonly ConditionedRecording[];
  validation: S[];
  /** The conditioned signal of a validation (or held-out) recording. */
  signalOf: (recording: LabelledRecording) => Float32Array | undefined;
  weight: number;
  thresholdRule: ThresholdRule;
  outDir: string;
  /** Default CYCLE_MODEL_SPECTROGRAM_WINDOW. */
  spectrogramWindowLength?: HeartSoundWindowLength;
  /** Default 'cycle' (the 17 features of models up to 1.6.0). */
  featureSet?: CycleFeatureSet;
}): CycleModelOutcome<S> {
  const windowLength = options.spectrogramWindowLength ?? CYCLE_MODEL_SPECTROGRAM_WINDOW;
  const featureSet = options.featureSet ?? 'cycle';
  const featuresOf = (signal: Float32Array) =>
    cycleFeaturesOf(signal, windowLength, undefined, undefined, featureSet);
  const cycleModel = fitCycleModel(
    options.training.map((c) => featuresOf(c.signal)),
    options.training.map((c) => (c.recording.label === 'abnormal' ? 1 : 0)),
    windowLength,
    undefined,
    featureSet,
  );
  const score = <T extends Scored>(records: T[]) =>
    records.map((record) => {
      const signal = options.signalOf(record.recording);
      if (!signal) throw new Error(`no conditioned signal for ${record.recording.id}`);
      const cycleLogit = cycleModelLogit(cycleModel, featuresOf(signal));
      return {
        ...record,
        cycleLogit,
        score: recordingScore(record.meanLogit, { logit: cycleLogit, weight: options.weight }),
      };
    });
  const validationScores = score(options.validation);
  const { calibration, threshold, thresholdRule } = fitDecision(validationScores, options.thresholdRule);
  const file = join(options.outDir, CYCLE_MODEL_FILE);
  writeCycleModel(file, cycleModel);
  return {
    cycleModel,
    weight: options.weight,
    file,
    validationScores,
    calibration,
    threshold,
    thresholdRule,
    score,
  };
}
