// Turns a conditioned 2 kHz signal into the CNN's input: 5-s windows of log-mel, each normalised on
// its own. Training crops and inference windows go through the same `windowFeatures`, so the model
// sees at serving time exactly what it saw in training.
import { DEFAULT_FEATURE_CONFIG, logMelSpectrogram, logMelSpectrogramsOfWindows, MODEL_SAMPLE_RATE, type LogMelSpectrogram } from '@heartbeat/audio';

export { MODEL_SAMPLE_RATE };
export const WINDOW_SECONDS = 5;
export const WINDOW_SAMPLES = WINDOW_SECONDS * MODEL_SAMPLE_RATE;
export const WINDOW_FRAMES = 1 + Math.floor(WINDOW_SAMPLES / DEFAULT_FEATURE_CONFIG.hopLength);
export const MEL_BANDS = DEFAULT_FEATURE_CONFIG.nMels;
export const WINDOW_VALUES = WINDOW_FRAMES * MEL_BANDS;
export const DEFAULT_HOP_SECONDS = 2.5;

/**
 * Per-band mean removal (a stethoscope's frequency response is a constant offset per band in the
 * log domain, so this removes most of it) followed by division by the window's standard deviation
 * (removes gain). In place.
 */
export function normaliseWindowFeatures(values: Float32Array, frames: number, bands: number): Float32Array {
  for (let band = 0; band < bands; band++) {
    let sum = 0;
    for (let t = 0; t < frames; t++) sum += values[t * bands + band];
    const mean = sum / frames;
    for (let t = 0; t < frames; t++) values[t * bands + band] -= mean;
  }
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += values[i] * values[i];
  const scale = 1 / Math.max(Math.sqrt(squares / values.length), 1e-3);
  for (let i = 0; i < values.length; i++) values[i] *= scale;
  return values;
}

/** The model input for one window of exactly WINDOW_SAMPLES conditioned samples. */
export function windowFeatures(windowSignal: Float32Array): Float32Array {
  if (windowSignal.length !== WINDOW_SAMPLES) {
    throw new RangeError(`a model window holds ${WINDOW_SAMPLES} samples, got ${windowSignal.length}`);
  }
  return modelInputOf(logMelSpectrogram(windowSignal, DEFAULT_FEATURE_CONFIG));
}

/** Checks a window's log-mel against the model's shape and normalises it (in place: it is a fresh array). */
function modelInputOf(mel: LogMelSpectrogram): Float32Array {
  if (mel.frames !== WINDOW_FRAMES || mel.mels !== MEL_BANDS) {
    throw new Error(`feature shape ${mel.frames}x${mel.mels} differs from the model's ${WINDOW_FRAMES}x${MEL_BANDS}`);
  }
  return normaliseWindowFeatures(mel.data, mel.frames, mel.mels);
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
export function windowStartSamples(signalLength: number, hopSeconds = DEFAULT_HOP_SECONDS): number[] {
  if (signalLength <= WINDOW_SAMPLES) return [0];
  const hop = Math.round(hopSeconds * MODEL_SAMPLE_RATE);
  const starts: number[] = [];
  for (let start = 0; start + WINDOW_SAMPLES <= signalLength; start += hop) starts.push(start);
  const lastEnd = starts[starts.length - 1] + WINDOW_SAMPLES;
  if (signalLength - lastEnd >= hop / 2) starts.push(signalLength - WINDOW_SAMPLES);
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
 * frames (computed once); the values equal `windowFeatures` of each window exactly.
 */
export function recordingWindows(signal: Float32Array, hopSeconds = DEFAULT_HOP_SECONDS): RecordingWindows {
  const padded = repeatToLength(signal, WINDOW_SAMPLES);
  const starts = windowStartSamples(padded.length, hopSeconds);
  const windows = starts.map((start) => ({ startSec: start / MODEL_SAMPLE_RATE, samples: padded.subarray(start, start + WINDOW_SAMPLES) }));
  const features = new Float32Array(starts.length * WINDOW_VALUES);
  logMelSpectrogramsOfWindows(padded, windows, DEFAULT_FEATURE_CONFIG).forEach((mel, index) => features.set(modelInputOf(mel), index * WINDOW_VALUES));
  return { features, windowCount: starts.length, startSeconds: starts.map((s) => s / MODEL_SAMPLE_RATE) };
}
