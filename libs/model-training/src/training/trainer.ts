// The training loop: balanced, augmented windows drawn fresh every epoch; record-level validation
// after every epoch; the best epoch's weights kept; calibration and threshold fitted on validation.
import * as tf from '@tensorflow/tfjs';
import {
  aggregateWindowLogits,
  binaryMetrics,
  type BinaryMetrics,
  calibratedProbability,
  type Calibration,
  DEFAULT_MODEL_INPUT,
  fitPlattCalibration,
  heartSoundMask,
  type HeartSoundMask,
  type LabelledRecording,
  type ModelInputSpec,
  normalisesOverHeartSounds,
  recordingWindows,
  seededRandom,
  segmentForNormalisation,
  thresholdMaximisingMacc,
  thresholdMaximisingSiteMacc,
  windowFeatures,
  windowHeartSoundFrames,
  windowShape,
} from '@heartbeat/model';
import { compileHeartSoundCnn } from '../network/logit-loss';
import {
  type AugmentationOptions,
  type CroppedWindow,
  DEFAULT_AUGMENTATION,
  cropRandomWindowWithSource,
  imitateDevice,
  maskRandomBands,
} from './augmentation';
import type { ConditionedRecording } from './conditioned-signals';
import { addSyntheticMurmur } from './synthetic-murmur';
import { BalancedRecordingSampler } from './window-sampler';

export interface TrainingParams {
  seed: number;
  epochs: number;
  windowsPerEpoch: number;
  batchSize: number;
  learningRate: number;
  /** Cosine decay from learningRate down to this at the last epoch; equal to learningRate = constant. */
  finalLearningRate: number;
  /** Stop when the selection score has not improved for this many epochs. */
  patience: number;
  /** Stop after the epoch that passes this wall-clock budget (the best weights are kept). */
  maxMinutes: number;
  augmentation: AugmentationOptions;
  /** How the decision threshold is chosen on validation (see fitDecision). */
  thresholdRule: ThresholdRule;
}

export const DEFAULT_TRAINING_PARAMS: TrainingParams = {
  seed: 2016,
  epochs: 30,
  windowsPerEpoch: 2048,
  batchSize: 32,
  learningRate: 2e-3,
  finalLearningRate: 1e-4,
  patience: 8,
  maxMinutes: 40,
  augmentation: DEFAULT_AUGMENTATION,
  thresholdRule: 'pooled-macc',
};

export interface RecordScores {
  recording: LabelledRecording;
  meanLogit: number;
  windowLogits: number[];
  /** The heart-cycle model's logit, when the version has one. */
  cycleLogit?: number;
  /** What the calibration reads (recordingScore): the mean logit, plus the weighted cycle logit. */
  score: number;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  windowsPerSecond: number;
  elapsedSeconds: number;
  validationAuc: number;
  validationMacc: number;
  selectionScore: number;
  improved: boolean;
}

export interface TrainingOutcome {
  model: tf.LayersModel;
  bestEpoch: number;
  history: EpochReport[];
  calibration: Calibration;
  threshold: number;
  thresholdRule: ThresholdRule;
  validationScores: RecordScores[];
  validationMetrics: BinaryMetrics;
  stoppedBecause: 'epochs' | 'patience' | 'time';
}

export interface TrainingInput {
  training: ConditionedRecording[];
  validation: ConditionedRecording[];
  /** Builds the network for windows of `modelInput`'s shape. */
  buildModel: () => tf.LayersModel;
  /** How windows become the network's input (default: DEFAULT_MODEL_INPUT). */
  modelInput?: ModelInputSpec;
  params?: Partial<TrainingParams>;
  onEpoch?: (report: EpochReport) => void;
  onBatch?: (epochFraction: number) => void;
  /** Called when an epoch beats every earlier one: the place to write a checkpoint. */
  onImproved?: (model: tf.LayersModel, report: EpochReport) => Promise<void>;
}

export async function trainWindowClassifier(input: TrainingInput): Promise<TrainingOutcome> {
  const params = { ...DEFAULT_TRAINING_PARAMS, ...input.params };
  const random = seededRandom(params.seed);
  const sources = new TrainingSources(input.training);
  const sampler = new BalancedRecordingSampler(input.training.map((c) => c.recording));
  const modelInput = input.modelInput ?? DEFAULT_MODEL_INPUT;
  const shape = windowShape(modelInput);
  const validationWindows = input.validation.map((c) => ({
    recording: c.recording,
    ...recordingWindows(c.signal, modelInput),
  }));

  const model = input.buildModel();
  compileHeartSoundCnn(model, { learningRate: params.learningRate });

  const started = Date.now();
  const history: EpochReport[] = [];
  let best: { score: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let stoppedBecause: TrainingOutcome['stoppedBecause'] = 'epochs';
  const batchesPerEpoch = Math.ceil(params.windowsPerEpoch / params.batchSize);

  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    const epochStarted = Date.now();
    setLearningRate(model, cosineLearningRate(epoch, params, (Date.now() - started) / 60000));
    let lossSum = 0;
    for (let batch = 0; batch < batchesPerEpoch; batch++) {
      // wasm work is synchronous: give timers and sockets (cancel checks, lock renewal, progress
      // writes of a training worker) one turn per batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const { features, labels } = sampleTrainingBatch(sampler, sources, params, random, modelInput);
      const x = tf.tensor4d(features, [labels.length, shape.frames, shape.bands, 1]);
      const y = tf.tensor2d(labels, [labels.length, 1]);
      const result = await model.trainOnBatch(x, y);
      const loss = Array.isArray(result) ? result[0] : result;
      tf.dispose([x, y]);
      lossSum += loss;
      input.onBatch?.((batch + 1) / batchesPerEpoch);
    }
    const trainingSeconds = (Date.now() - epochStarted) / 1000;
    const scores = scoreRecordings(model, validationWindows);
    const { auc, macc, selectionScore } = validationSummary(scores);
    const improved = best === undefined || selectionScore > best.score;
    if (improved) {
      best?.weights.forEach((w) => w.dispose());
      best = { score: selectionScore, epoch, weights: model.getWeights().map((w) => w.clone()) };
    }
    const report: EpochReport = {
      epoch,
      epochs: params.epochs,
      loss: lossSum / batchesPerEpoch,
      windowsPerSecond: (batchesPerEpoch * params.batchSize) / trainingSeconds,
      elapsedSeconds: (Date.now() - started) / 1000,
      validationAuc: auc,
      validationMacc: macc,
      selectionScore,
      improved,
    };
    history.push(report);
    input.onEpoch?.(report);
    if (improved) await input.onImproved?.(model, report);
    if (epoch - best!.epoch >= params.patience) {
      stoppedBecause = 'patience';
      break;
    }
    if (report.elapsedSeconds / 60 >= params.maxMinutes && epoch < params.epochs) {
      stoppedBecause = 'time';
      break;
    }
  }

  model.setWeights(best!.weights);
  best!.weights.forEach((w) => w.dispose());
  const validationScores = scoreRecordings(model, validationWindows);
  return {
    model,
    bestEpoch: best!.epoch,
    history,
    validationScores,
    stoppedBecause,
    ...fitDecision(validationScores, params.thresholdRule),
  };
}

export type ThresholdRule = 'site-balanced-macc' | 'pooled-macc';

/**
 * Calibration (Platt, on all records) and the threshold fitted on record-level validation scores.
 * 'pooled-macc' (the default) maximises the MAcc of all records together, the PhysioNet score. On model
 * 1.1.0 it keeps sensitivity at 0.97, which a screening tool needs and the promotion policy's
 * sensitivity guard protects. 'site-balanced-macc' maximises the mean of the sites' own MAcc, each site
 * counting the same: on 1.1.0's validation it raised every subset's own MAcc (a 0.62 -> 0.72,
 * b 0.61 -> 0.74, d 0.60 -> 0.80) but cut overall sensitivity to 0.68 (0.48 in training-a), and on eight
 * leave-one-subset-out folds it changed the held-out MAcc by -0.06 to +0.13, +0.03 on average
 * (research/MODEL_RESEARCH.md). It falls back to pooled when fewer than two sites have enough records of
 * both labels; `thresholdRule` says which applied.
 */
export function fitDecision(
  scores: { recording: Pick<LabelledRecording, 'label'> & { subset?: string }; score: number }[],
  rule: ThresholdRule = 'pooled-macc',
): {
  calibration: Calibration;
  threshold: number;
  thresholdRule: ThresholdRule;
  validationMetrics: BinaryMetrics;
} {
  const labels = scores.map((s) => (s.recording.label === 'abnormal' ? 1 : 0));
  const recordScores = scores.map((s) => s.score);
  const calibration = fitPlattCalibration(recordScores, labels);
  const probabilities = recordScores.map((l) => calibratedProbability(l, calibration));
  const siteBalanced =
    rule === 'site-balanced-macc'
      ? thresholdMaximisingSiteMacc(
          labels,
          probabilities,
          scores.map((s) => s.recording.subset ?? ''),
        )
      : undefined;
  const thresholdRule: ThresholdRule =
    siteBalanced && siteBalanced.sites.length >= 2 ? 'site-balanced-macc' : 'pooled-macc';
  const threshold = Math.min(
    1,
    Math.max(0, (siteBalanced ?? thresholdMaximisingMacc(labels, probabilities)).threshold),
  );
  return {
    calibration,
    threshold,
    thresholdRule,
    validationMetrics: binaryMetrics(labels, probabilities, threshold),
  };
}

/**
 * Learning rate of an epoch (1-based) on a cosine from learningRate to finalLearningRate. Progress is
 * whichever budget is further spent, epochs or minutes, so a run cut short by its time budget still
 * ends at the low learning rate.
 */
export function cosineLearningRate(
  epoch: number,
  params: Pick<TrainingParams, 'epochs' | 'learningRate' | 'finalLearningRate'> & { maxMinutes?: number },
  elapsedMinutes = 0,
): number {
  const byEpoch = params.epochs <= 1 ? 0 : (epoch - 1) / (params.epochs - 1);
  const byTime = params.maxMinutes ? elapsedMinutes / params.maxMinutes : 0;
  const progress = Math.min(1, Math.max(byEpoch, byTime));
  return (
    params.finalLearningRate +
    0.5 * (params.learningRate - params.finalLearningRate) * (1 + Math.cos(Math.PI * progress))
  );
}

function setLearningRate(model: tf.LayersModel, learningRate: number): void {
  // tfjs optimizers read `learningRate` on every step but do not expose a setter.
  (model.optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

/** The training recordings' signals, and where their heart sounds are (segmented once, when first needed). */
class TrainingSources {
  private readonly signals: Map<string, Float32Array>;
  private readonly masks = new Map<string, HeartSoundMask>();

  constructor(training: readonly ConditionedRecording[]) {
    this.signals = new Map(training.map((c) => [TrainingSources.keyOf(c.recording), c.signal]));
  }

  signalOf(recording: LabelledRecording): Float32Array {
    return this.signals.get(TrainingSources.keyOf(recording))!;
  }

  heartSoundMaskOf(recording: LabelledRecording): HeartSoundMask {
    const key = TrainingSources.keyOf(recording);
    let mask = this.masks.get(key);
    if (!mask) {
      const signal = this.signalOf(recording);
      mask = heartSoundMask(segmentForNormalisation(signal), signal.length);
      this.masks.set(key, mask);
    }
    return mask;
  }

  private static keyOf(recording: LabelledRecording): string {
    return recording.id + '\u0000' + recording.subset;
  }
}

function sampleTrainingBatch(
  sampler: BalancedRecordingSampler,
  sources: TrainingSources,
  params: TrainingParams,
  random: () => number,
  modelInput: ModelInputSpec,
): { features: Float32Array; labels: Float32Array } {
  const shape = windowShape(modelInput);
  const features = new Float32Array(params.batchSize * shape.values);
  const labels = new Float32Array(params.batchSize);
  const soundFramesOf = (recording: LabelledRecording, crop: CroppedWindow) =>
    normalisesOverHeartSounds(modelInput)
      ? windowHeartSoundFrames(
          sources.heartSoundMaskOf(recording),
          shape,
          modelInput.featureConfig.hopLength,
          crop.sourceSampleAt,
        )
      : undefined;
  for (let i = 0; i < params.batchSize; i++) {
    const recording = sampler.next(random);
    // No draw when the option is off, so the random stream (and a seeded run) stays what it was.
    const synthetic =
      recording.label === 'abnormal' &&
      params.augmentation.syntheticMurmurProbability > 0 &&
      random() < params.augmentation.syntheticMurmurProbability;
    const murmur = synthetic
      ? syntheticMurmurWindow(sampler, sources, random, params.augmentation, shape.samples)
      : undefined;
    let window: Float32Array;
    if (murmur) {
      window = windowFeatures(murmur.samples, modelInput, soundFramesOf(murmur.donor, murmur));
    } else {
      const crop = cropRandomWindowWithSource(
        sources.signalOf(recording),
        shape.samples,
        random,
        params.augmentation,
      );
      window = windowFeatures(
        imitateDevice(crop.samples, random, params.augmentation),
        modelInput,
        soundFramesOf(recording, crop),
      );
    }
    if (random() < params.augmentation.frequencyMaskProbability) {
      maskRandomBands(window, shape.frames, shape.bands, random, params.augmentation.maxMaskedBands);
    }
    features.set(window, i * shape.values);
    labels[i] = recording.label === 'abnormal' ? 1 : 0;
  }
  return { features, labels };
}

/** An abnormal training window made from a normal recording of any database (the donor) plus a synthetic murmur. */
function syntheticMurmurWindow(
  sampler: BalancedRecordingSampler,
  sources: TrainingSources,
  random: () => number,
  augmentation: AugmentationOptions,
  windowSamples: number,
): (CroppedWindow & { donor: LabelledRecording }) | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const donor = sampler.anyNormal(random);
    const crop = cropRandomWindowWithSource(sources.signalOf(donor), windowSamples, random, augmentation);
    const murmur = addSyntheticMurmur(crop.samples, random);
    if (murmur) return { ...crop, samples: imitateDevice(murmur, random, augmentation), donor };
  }
  return undefined;
}

/** Window logits of every recording (windows of the model's input shape), in batches, and their mean per recording. */
export function scoreRecordings(
  model: tf.LayersModel,
  recordings: { recording: LabelledRecording; features: Float32Array; windowCount: number }[],
  batchSize = 64,
): RecordScores[] {
  const [, frames, bands] = model.inputs[0]!.shape as number[];
  const values = frames! * bands!;
  const totalWindows = recordings.reduce((n, r) => n + r.windowCount, 0);
  const logits = new Float32Array(totalWindows);
  const all = new Float32Array(totalWindows * values);
  let offset = 0;
  for (const r of recordings) {
    if (r.features.length !== r.windowCount * values)
      throw new Error(`features of ${r.recording.id} do not fit the model's ${frames}x${bands} windows`);
    all.set(r.features, offset * values);
    offset += r.windowCount;
  }
  for (let start = 0; start < totalWindows; start += batchSize) {
    const n = Math.min(batchSize, totalWindows - start);
    const out = tf.tidy(() => {
      const x = tf.tensor4d(all.subarray(start * values, (start + n) * values), [n, frames!, bands!, 1]);
      return (model.predict(x) as tf.Tensor).dataSync();
    });
    logits.set(out, start);
  }
  offset = 0;
  return recordings.map((r) => {
    const windowLogits = Array.from(logits.subarray(offset, offset + r.windowCount));
    offset += r.windowCount;
    const meanLogit = aggregateWindowLogits(windowLogits);
    return { recording: r.recording, windowLogits, meanLogit, score: meanLogit };
  });
}

/**
 * Model selection score: the mean of the overall AUC and the average per-subset AUC, so a model
 * that does well on the big database but poorly on the small ones is not preferred.
 */
export function validationSummary(scores: RecordScores[]): {
  auc: number;
  macc: number;
  selectionScore: number;
} {
  const labels = scores.map((s) => (s.recording.label === 'abnormal' ? 1 : 0));
  const logits = scores.map((s) => s.meanLogit);
  const overall = binaryMetrics(labels, logits, thresholdMaximisingMacc(labels, logits).threshold);
  const subsetAucs: number[] = [];
  for (const subset of new Set(scores.map((s) => s.recording.subset))) {
    const members = scores.filter((s) => s.recording.subset === subset);
    const auc = binaryMetrics(
      members.map((s) => (s.recording.label === 'abnormal' ? 1 : 0)),
      members.map((s) => s.meanLogit),
    ).auc;
    if (Number.isFinite(auc)) subsetAucs.push(auc);
  }
  const macroAuc =
    subsetAucs.length > 0 ? subsetAucs.reduce((a, b) => a + b, 0) / subsetAucs.length : overall.auc;
  return { auc: overall.auc, macc: overall.macc, selectionScore: (overall.auc + macroAuc) / 2 };
}
