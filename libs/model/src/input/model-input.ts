// Turns a conditioned 2 kHz signal into the CNN's input: windows of log-mel, each normalised on its
// own. Training crops and inference windows go through the same `windowFeatures`, so the model sees
// at serving time exactly what it saw in training. A model version records its input spec in its
// manifest; everything that makes features for a model takes that spec (default: DEFAULT_MODEL_INPUT).
import {
  DEFAULT_FEATURE_CONFIG,
  framesServe,
  heartSoundSpectrogram,
  heartSoundSpectrogramConfig,
  type HeartSoundSegment,
  type HeartSoundWindowLength,
  logMelSpectrogram,
  logMelSpectrogramsOfWindows,
  MODEL_SAMPLE_RATE,
  type FeatureConfig,
  type LogMelSpectrogram,
  type MelPowerSpectrogram,
  segmentHeartSounds,
} from '@heartbeat/audio';

export { MODEL_SAMPLE_RATE };
export const WINDOW_SECONDS = 5;
export const WINDOW_SAMPLES = WINDOW_SECONDS * MODEL_SAMPLE_RATE;
export const DEFAULT_HOP_SECONDS = 2.5;

/** How a model's input is made from a conditioned 2 kHz signal. */
export interface ModelInputSpec {
  readonly windowSeconds: number;
  /** Step between window starts when a recording is screened. */
  readonly hopSeconds: number;
  readonly featureConfig: FeatureConfig;
  /** What each band's mean is taken over before it is removed (normaliseWindowFeatures); absent = 'window'. */
  readonly normalisation?: WindowNormalisation;
}

/**
 * 'window': every frame of the window. 'heart-sounds': the frames the heart-sound segmentation puts
 * in S1 or S2, so the recording's own heart sounds calibrate each band (a stethoscope's colouring is
 * a per-band offset in the log domain, and so is a murmur's loudness against the heart sounds); in
 * research it lifted the worst held-out database (research/MODEL_RESEARCH.md, ninth session).
 */
export type WindowNormalisation = 'window' | 'heart-sounds';

/** The input of models 1.0.0 and 1.1.0: 5-s windows every 2.5 s, 64 log-mel bands 25-1000 Hz every 20 ms. */
export const DEFAULT_MODEL_INPUT: ModelInputSpec = Object.freeze({
  windowSeconds: WINDOW_SECONDS,
  hopSeconds: DEFAULT_HOP_SECONDS,
  featureConfig: DEFAULT_FEATURE_CONFIG,
});

/**
 * A cheaper input: 32 log-mel bands over the conditioned pass band (25-400 Hz) every 40 ms, a
 * quarter of the default's values per window. Research runs matched the default's validation AUC
 * (research/MODEL_RESEARCH.md).
 */
export const COMPACT_MODEL_INPUT: ModelInputSpec = Object.freeze({
  windowSeconds: WINDOW_SECONDS,
  hopSeconds: DEFAULT_HOP_SECONDS,
  featureConfig: Object.freeze({ ...DEFAULT_FEATURE_CONFIG, hopLength: 80, nMels: 32, fMax: 400 }),
});

export interface WindowShape {
  samples: number;
  frames: number;
  bands: number;
  /** frames x bands: the values of one window in a feature buffer. */
  values: number;
}

export function windowShape(input: ModelInputSpec = DEFAULT_MODEL_INPUT): WindowShape {
  const samples = Math.round(input.windowSeconds * MODEL_SAMPLE_RATE);
  const frames = 1 + Math.floor(samples / input.featureConfig.hopLength);
  const bands = input.featureConfig.nMels;
  return { samples, frames, bands, values: frames * bands };
}

const DEFAULT_SHAPE = windowShape(DEFAULT_MODEL_INPUT);
export const WINDOW_FRAMES = DEFAULT_SHAPE.frames;
export const MEL_BANDS = DEFAULT_SHAPE.bands;
export const WINDOW_VALUES = DEFAULT_SHAPE.values;

/** Fewer heart-sound frames than this in a window and its band means are taken over the whole window. */
export const MIN_HEART_SOUND_FRAMES = 3;

/**
 * Per-band mean removal (a stethoscope's frequency response is a constant offset per band in the
 * log domain, so this removes most of it) followed by division by the window's standard deviation
 * (removes gain). In place. With `heartSoundFrames` (1 for a frame in S1 or S2) the means are taken
 * over those frames when there are at least MIN_HEART_SOUND_FRAMES of them.
 */
export function normaliseWindowFeatures(
  values: Float32Array,
  frames: number,
  bands: number,
  heartSoundFrames?: Uint8Array,
): Float32Array {
  let soundFrames = 0;
  if (heartSoundFrames) for (let t = 0; t < frames; t++) soundFrames += heartSoundFrames[t] ? 1 : 0;
  const overSounds = soundFrames >= MIN_HEART_SOUND_FRAMES;
  for (let band = 0; band < bands; band++) {
    let sum = 0;
    for (let t = 0; t < frames; t++) if (!overSounds || heartSoundFrames![t]) sum += values[t * bands + band];
    const mean = sum / (overSounds ? soundFrames : frames);
    for (let t = 0; t < frames; t++) values[t * bands + band] -= mean;
  }
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += values[i] * values[i];
  const scale = 1 / Math.max(Math.sqrt(squares / values.length), 1e-3);
  for (let i = 0; i < values.length; i++) values[i] *= scale;
  return values;
}

/**
 * The model input for one window of exactly one window's conditioned samples. `heartSoundFrames`
 * (windowHeartSoundFrames) is read when the input normalises over the heart sounds.
 */
export function windowFeatures(
  windowSignal: Float32Array,
  input: ModelInputSpec = DEFAULT_MODEL_INPUT,
  heartSoundFrames?: Uint8Array,
): Float32Array {
  const shape = windowShape(input);
  if (windowSignal.length !== shape.samples) {
    throw new RangeError(`a model window holds ${shape.samples} samples, got ${windowSignal.length}`);
  }
  return modelInputOf(logMelSpectrogram(windowSignal, input.featureConfig), shape, input, heartSoundFrames);
}

/** Checks a window's log-mel against the model's shape and normalises it (in place: it is a fresh array). */
function modelInputOf(
  mel: LogMelSpectrogram,
  shape: WindowShape,
  input: ModelInputSpec,
  heartSoundFrames?: Uint8Array,
): Float32Array {
  if (mel.frames !== shape.frames || mel.mels !== shape.bands) {
    throw new Error(
      `feature shape ${mel.frames}x${mel.mels} differs from the model's ${shape.frames}x${shape.bands}`,
    );
  }
  return normaliseWindowFeatures(
    mel.data,
    mel.frames,
    mel.mels,
    normalisesOverHeartSounds(input) ? heartSoundFrames : undefined,
  );
}

export function normalisesOverHeartSounds(input: ModelInputSpec): boolean {
  return input.normalisation === 'heart-sounds';
}

/**
 * The segmentation that heart-sound normalisation reads: the shipped HSMM on the heart-sound
 * spectrogram with the 64-ms window (the one the research runs used). `spectrogram` is reused when it
 * is that spectrogram of `signal`.
 */
export function segmentForNormalisation(
  signal: Float32Array,
  spectrogram?: MelPowerSpectrogram,
): HeartSoundSegment[] {
  const expected = heartSoundSpectrogramConfig(NORMALISATION_SEGMENTATION_WINDOW);
  const reusable =
    spectrogram &&
    (Object.keys(expected) as (keyof FeatureConfig)[]).every(
      (key) => spectrogram.config[key] === expected[key],
    );
  return segmentHeartSounds(
    signal,
    reusable ? spectrogram : heartSoundSpectrogram(signal, NORMALISATION_SEGMENTATION_WINDOW),
  );
}

export const NORMALISATION_SEGMENTATION_WINDOW: HeartSoundWindowLength = 128;

/** Where a recording's heart sounds are: 1 for each 20-ms step of it that the segmentation puts in S1 or S2. */
export interface HeartSoundMask {
  readonly steps: Uint8Array;
  readonly stepSamples: number;
}

const MASK_STEP_SAMPLES = 40;

export function heartSoundMask(segments: readonly HeartSoundSegment[], signalLength: number): HeartSoundMask {
  const steps = new Uint8Array(1 + Math.floor(signalLength / MASK_STEP_SAMPLES));
  for (const { state, start, end } of segments) {
    if (state !== 'S1' && state !== 'S2') continue;
    steps.fill(
      1,
      Math.max(0, Math.ceil(start / MASK_STEP_SAMPLES)),
      Math.min(steps.length, Math.ceil(end / MASK_STEP_SAMPLES)),
    );
  }
  return { steps, stepSamples: MASK_STEP_SAMPLES };
}

/**
 * 1 for each input frame of a window whose centre falls on a heart sound. `sourceSampleAt` maps a
 * window sample to the recording sample it came from (through crops, time stretch and the repetition
 * of a short clip).
 */
export function windowHeartSoundFrames(
  mask: HeartSoundMask,
  shape: WindowShape,
  hopLength: number,
  sourceSampleAt: (windowSample: number) => number,
): Uint8Array {
  const frames = new Uint8Array(shape.frames);
  for (let t = 0; t < shape.frames; t++) {
    const source = sourceSampleAt(Math.min(t * hopLength, shape.samples - 1));
    frames[t] = mask.steps[Math.min(Math.floor(source / mask.stepSamples), mask.steps.length - 1)];
  }
  return frames;
}

/**
 * Repeats a clip shorter than one window until it fills the window. Heart sounds are periodic, so
 * repetition keeps the statistics of the clip, where zero padding would add silence the model never
 * saw in training.
 */
export function repeatToLength(signal: Float32Array, length: number): Float32Array {
  if (signal.length >= length) return signal;
  if (signal.length === 0) throw new RangeError('cannot repeat an empty signal');
  const out = new Float32Array(length);
  for (let offset = 0; offset < length; offset += signal.length) {
    out.set(signal.subarray(0, Math.min(signal.length, length - offset)), offset);
  }
  return out;
}

/** Window start offsets (samples): every hop, plus one aligned to the end so the tail is seen. */
export function windowStartSamples(
  signalLength: number,
  hopSeconds = DEFAULT_HOP_SECONDS,
  windowSamples = WINDOW_SAMPLES,
): number[] {
  if (signalLength <= windowSamples) return [0];
  const hop = Math.round(hopSeconds * MODEL_SAMPLE_RATE);
  const starts: number[] = [];
  for (let start = 0; start + windowSamples <= signalLength; start += hop) starts.push(start);
  const lastEnd = starts[starts.length - 1] + windowSamples;
  if (signalLength - lastEnd >= hop / 2) starts.push(signalLength - windowSamples);
  return starts;
}

export interface RecordingWindows {
  /** windowCount x WINDOW_FRAMES x MEL_BANDS values, window-major. */
  features: Float32Array;
  windowCount: number;
  startSeconds: number[];
}

/**
 * All model windows of a conditioned 2 kHz recording. Overlapping windows share their interior
 * frames (computed once); the values equal `windowFeatures` of each window exactly. When `computed`
 * (a mel power spectrogram of the signal, such as its heart-sound spectrogram) holds the frames the
 * input needs (framesServe), they are read from it instead. An input normalised over the heart sounds
 * reads `segments` (segmentForNormalisation of the signal; computed when not given).
 */
export function recordingWindows(
  signal: Float32Array,
  input: ModelInputSpec = DEFAULT_MODEL_INPUT,
  computed?: MelPowerSpectrogram,
  segments?: readonly HeartSoundSegment[],
): RecordingWindows {
  const shape = windowShape(input);
  const mask = normalisesOverHeartSounds(input)
    ? heartSoundMask(segments ?? segmentForNormalisation(signal, computed), signal.length)
    : undefined;
  const padded = repeatToLength(signal, shape.samples);
  // A clip shorter than a window is repeated, and `computed` is of the clip itself.
  const whole = computed && framesServe(computed, input.featureConfig, padded.length) ? computed : undefined;
  const starts = windowStartSamples(padded.length, input.hopSeconds, shape.samples);
  const windows = starts.map((start) => ({
    startSec: start / MODEL_SAMPLE_RATE,
    samples: padded.subarray(start, start + shape.samples),
  }));
  const features = new Float32Array(starts.length * shape.values);
  logMelSpectrogramsOfWindows(padded, windows, input.featureConfig, whole).forEach((mel, index) => {
    const soundFrames =
      mask &&
      windowHeartSoundFrames(
        mask,
        shape,
        input.featureConfig.hopLength,
        (sample) => (starts[index] + sample) % signal.length,
      );
    features.set(modelInputOf(mel, shape, input, soundFrames), index * shape.values);
  });
  return { features, windowCount: starts.length, startSeconds: starts.map((s) => s / MODEL_SAMPLE_RATE) };
}
