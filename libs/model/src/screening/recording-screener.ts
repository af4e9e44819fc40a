// Screens one recording end to end: decode, condition, judge signal quality, score every 5-s window
// with the network, and turn the window scores into the product's answer. The CLI, the inference
// worker and `heartbeat evaluate` all go through here, so they cannot disagree.
import {
  assessSignalQuality,
  decodeAudio,
  type DecodeOptions,
  heartSoundSpectrogram,
  type HeartSoundSegment,
  type HeartSoundSpectrogram,
  type HeartSoundWindowLength,
  prepareSignal,
} from '@heartbeat/audio';
import { cycleFeaturesOf, cycleModelLogit, type WeightedCycleModel } from '../cycle-model/cycle-model';
import type { WindowClassifier } from '../inference/window-classifier';
import {
  DEFAULT_MODEL_INPUT,
  MODEL_SAMPLE_RATE,
  NORMALISATION_SEGMENTATION_WINDOW,
  normalisesOverHeartSounds,
  recordingWindows,
  segmentForNormalisation,
  type ModelInputSpec,
} from '../input/model-input';
import { modelInputOfManifest, type ModelManifest } from '../model-version/model-manifest';
import {
  aggregateWindowLogits,
  calibratedProbability,
  decideLabel,
  recordingScore,
  type RecordingLabel,
} from '../decision/record-decision';

export interface ScreeningResult {
  label: RecordingLabel;
  /** Calibrated probability that the recording is abnormal, 0..1. */
  probability: number;
  /** Signal quality score, 0..1; below the model's minimum the label is "unsure". */
  quality: number;
  windows: number;
  windowLogits: number[];
  windowStartSeconds: number[];
  /** The network's mean window logit. */
  meanLogit: number;
  /** The heart-cycle model's logit, when the model version has one. */
  cycleLogit?: number;
  /** What the calibration turned into the probability (recordingScore). */
  score: number;
  durationSeconds: number;
  sourceSampleRate: number;
  sourceFormat: string;
  channels: number;
  modelVersion: string;
  site?: string;
}

export interface PreparedRecording {
  signal: Float32Array;
  /** Computed when the model version has a heart-cycle model; the network's windows reuse its frames where they can. */
  heartSoundSpectrogram?: HeartSoundSpectrogram;
  /** The segmentation the input's heart-sound normalisation read (segmentForNormalisation), when it has one. */
  heartSoundSegments?: HeartSoundSegment[];
  features: Float32Array;
  windowCount: number;
  startSeconds: number[];
  quality: number;
  durationSeconds: number;
  sourceSampleRate: number;
  sourceFormat: string;
  channels: number;
}

/**
 * The CPU-side half of screening (no model): decode, condition, quality, window features for a model's
 * input, and the heart-sound spectrogram with `heartSoundWindow` when the version has a heart-cycle model
 * (or the 64-ms one when only the input's heart-sound normalisation needs it).
 */
export async function prepareRecording(
  bytes: Uint8Array,
  decodeOptions: DecodeOptions = {},
  input: ModelInputSpec = DEFAULT_MODEL_INPUT,
  heartSoundWindow?: HeartSoundWindowLength,
): Promise<PreparedRecording> {
  const decoded = await decodeAudio(bytes, decodeOptions);
  const signal = prepareSignal(decoded);
  const quality = assessSignalQuality(signal, MODEL_SAMPLE_RATE, decoded.samples).score;
  const overSounds = normalisesOverHeartSounds(input);
  const window = heartSoundWindow ?? (overSounds ? NORMALISATION_SEGMENTATION_WINDOW : undefined);
  const spectrogram = window === undefined ? undefined : heartSoundSpectrogram(signal, window);
  const segments = overSounds ? segmentForNormalisation(signal, spectrogram) : undefined;
  const windows = recordingWindows(signal, input, spectrogram, segments);
  return {
    signal,
    heartSoundSpectrogram: spectrogram,
    heartSoundSegments: segments,
    features: windows.features,
    windowCount: windows.windowCount,
    startSeconds: windows.startSeconds,
    quality,
    durationSeconds: decoded.durationSec,
    sourceSampleRate: decoded.sampleRate,
    sourceFormat: decoded.format,
    channels: decoded.channels,
  };
}

/**
 * The heart-cycle model's logit of a prepared recording (undefined without a model). Callers compute
 * it while the network's inference runs off the JavaScript thread, then pass it to decideFromWindowLogits.
 */
export function heartCycleLogit(
  prepared: PreparedRecording,
  cycleModel: WeightedCycleModel | undefined,
): number | undefined {
  if (!cycleModel) return undefined;
  const { model } = cycleModel;
  const sharesSegmentation =
    model.spectrogramWindowLength === NORMALISATION_SEGMENTATION_WINDOW
      ? prepared.heartSoundSegments
      : undefined;
  return cycleModelLogit(
    model,
    cycleFeaturesOf(
      prepared.signal,
      model.spectrogramWindowLength,
      prepared.heartSoundSpectrogram,
      sharesSegmentation,
      model.featureSet,
    ),
  );
}

/**
 * The decision half: window logits of a prepared recording (and, when the version has one, its
 * heart-cycle model's view of the signal) to the product's answer.
 */
export function decideFromWindowLogits(
  prepared: PreparedRecording,
  logits: ArrayLike<number>,
  manifest: ModelManifest,
  cycleModel?: WeightedCycleModel,
  cycleLogit = heartCycleLogit(prepared, cycleModel),
): ScreeningResult {
  if ((cycleModel === undefined) !== (manifest.artifacts.cycleModel === undefined))
    throw new Error(
      `Model ${manifest.version} ${cycleModel ? 'has no heart-cycle model, but one was given' : 'needs its heart-cycle model (loadCycleModelOf)'}`,
    );
  const windowLogits = Array.from(logits);
  const meanLogit = aggregateWindowLogits(windowLogits);
  const score = recordingScore(meanLogit, cycleModel && { logit: cycleLogit!, weight: cycleModel.weight });
  const probability = calibratedProbability(score, manifest.decision.calibration);
  return {
    label: decideLabel(probability, prepared.quality, manifest.decision),
    probability,
    quality: prepared.quality,
    windows: prepared.windowCount,
    windowLogits,
    windowStartSeconds: prepared.startSeconds,
    meanLogit,
    cycleLogit,
    score,
    durationSeconds: prepared.durationSeconds,
    sourceSampleRate: prepared.sourceSampleRate,
    sourceFormat: prepared.sourceFormat,
    channels: prepared.channels,
    modelVersion: manifest.version,
    site: manifest.decision.site,
  };
}

export class RecordingScreener {
  private readonly input: ModelInputSpec;

  constructor(
    readonly manifest: ModelManifest,
    private readonly classifier: WindowClassifier,
    private readonly decodeOptions: DecodeOptions = {},
    private readonly cycleModel?: WeightedCycleModel,
  ) {
    this.input = modelInputOfManifest(manifest);
  }

  get backend(): string {
    return this.classifier.backend;
  }

  /** Settles when the network can run (at once, unless its session loads on a thread of its own). */
  get ready(): Promise<void> {
    return this.classifier.ready ?? Promise.resolve();
  }

  async dispose(): Promise<void> {
    await this.classifier.dispose();
  }

  async screen(bytes: Uint8Array): Promise<ScreeningResult> {
    const prepared = await prepareRecording(
      bytes,
      this.decodeOptions,
      this.input,
      this.cycleModel?.model.spectrogramWindowLength,
    );
    const inference = this.classifier.predictLogits(prepared.features, prepared.windowCount);
    inference.catch(() => undefined); // awaited below; a throw before that must not leave it unhandled
    const cycleLogit = heartCycleLogit(prepared, this.cycleModel); // while the network runs
    return decideFromWindowLogits(prepared, await inference, this.manifest, this.cycleModel, cycleLogit);
  }
}
