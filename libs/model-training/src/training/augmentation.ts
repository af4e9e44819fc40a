// Augmentations that imitate what changes between stethoscopes, sites and patients: where the
// window starts, heart rate (time stretch), device frequency response (random low-pass, high-pass
// and peaking EQ), background noise, and missing bands (frequency masking on the features).
import { gaussian, MODEL_SAMPLE_RATE, type Random, repeatToLength, uniform } from '@heartbeat/model';

export interface AugmentationOptions {
  maxTimeStretch: number;
  /** Share of windows made from a 2-4.5 s clip repeated to fill the window, as inference does for short recordings. */
  shortClipProbability: number;
  noiseProbability: number;
  minSnrDb: number;
  maxSnrDb: number;
  filterProbability: number;
  frequencyMaskProbability: number;
  maxMaskedBands: number;
  /**
   * Share of the abnormal training windows made instead from a normal recording of any database with
   * a synthetic murmur added (see synthetic-murmur.ts). 0 turns it off.
   */
  syntheticMurmurProbability: number;
}

export const DEFAULT_AUGMENTATION: AugmentationOptions = {
  maxTimeStretch: 0.15,
  shortClipProbability: 0.15,
  noiseProbability: 0.5,
  minSnrDb: 10,
  maxSnrDb: 35,
  filterProbability: 0.6,
  frequencyMaskProbability: 0.5,
  maxMaskedBands: 8,
  syntheticMurmurProbability: 0,
};

/** A window cut from a recording, and the recording sample each of its samples came from. */
export interface CroppedWindow {
  samples: Float32Array;
  sourceSampleAt: (windowSample: number) => number;
}

/** A random crop of `length` samples, stretched in time by `stretch` (>1 = slower heart). */
export function cropAndStretch(
  signal: Float32Array,
  length: number,
  stretch: number,
  random: Random,
): Float32Array {
  return cropAndStretchWithSource(signal, length, stretch, random).samples;
}

function cropAndStretchWithSource(
  signal: Float32Array,
  length: number,
  stretch: number,
  random: Random,
): CroppedWindow {
  const sourceLength = Math.max(2, Math.round(length / stretch));
  const source = signal.length >= sourceLength ? signal : tile(signal, sourceLength);
  const start = Math.floor(random() * (source.length - sourceLength + 1));
  const out = new Float32Array(length);
  const step = (sourceLength - 1) / Math.max(1, length - 1);
  for (let i = 0; i < length; i++) {
    const position = start + i * step;
    const left = Math.floor(position);
    const fraction = position - left;
    const right = Math.min(left + 1, source.length - 1);
    out[i] = source[left] * (1 - fraction) + source[right] * fraction;
  }
  return { samples: out, sourceSampleAt: (i) => Math.round(start + i * step) % signal.length };
}

function tile(signal: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = signal[i % signal.length];
  return out;
}

type BiquadKind = 'lowpass' | 'highpass' | 'peaking';

/** RBJ audio-EQ-cookbook biquad, applied in place. */
export function applyBiquad(
  signal: Float32Array,
  kind: BiquadKind,
  frequency: number,
  q: number,
  gainDb = 0,
): Float32Array {
  const w0 = (2 * Math.PI * frequency) / MODEL_SAMPLE_RATE;
  const alpha = Math.sin(w0) / (2 * q);
  const cos = Math.cos(w0);
  const amplitude = Math.pow(10, gainDb / 40);
  let b0: number, b1: number, b2: number, a0: number, a1: number, a2: number;
  if (kind === 'lowpass') {
    [b0, b1, b2] = [(1 - cos) / 2, 1 - cos, (1 - cos) / 2];
    [a0, a1, a2] = [1 + alpha, -2 * cos, 1 - alpha];
  } else if (kind === 'highpass') {
    [b0, b1, b2] = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2];
    [a0, a1, a2] = [1 + alpha, -2 * cos, 1 - alpha];
  } else {
    [b0, b1, b2] = [1 + alpha * amplitude, -2 * cos, 1 - alpha * amplitude];
    [a0, a1, a2] = [1 + alpha / amplitude, -2 * cos, 1 - alpha / amplitude];
  }
  let x1 = 0,
    x2 = 0,
    y1 = 0,
    y2 = 0;
  for (let i = 0; i < signal.length; i++) {
    const x0 = signal[i];
    const y0 = (b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
    signal[i] = y0;
    x2 = x1;
    x1 = x0;
    y2 = y1;
    y1 = y0;
  }
  return signal;
}

/** Adds white Gaussian noise at the given signal-to-noise ratio, in place. */
export function addNoise(signal: Float32Array, snrDb: number, random: Random): Float32Array {
  let power = 0;
  for (let i = 0; i < signal.length; i++) power += signal[i] * signal[i];
  power /= signal.length;
  const sigma = Math.sqrt(power / Math.pow(10, snrDb / 10));
  for (let i = 0; i < signal.length; i++) signal[i] += sigma * gaussian(random);
  return signal;
}

/** A randomly altered window of `length` samples taken from a conditioned recording. */
export function augmentSignalWindow(
  signal: Float32Array,
  length: number,
  random: Random,
  options: AugmentationOptions = DEFAULT_AUGMENTATION,
): Float32Array {
  return imitateDevice(cropRandomWindow(signal, length, random, options), random, options);
}

/** Where the window starts, heart rate (time stretch) and short clips repeated to fill it. */
export function cropRandomWindow(
  signal: Float32Array,
  length: number,
  random: Random,
  options: AugmentationOptions = DEFAULT_AUGMENTATION,
): Float32Array {
  return cropRandomWindowWithSource(signal, length, random, options).samples;
}

/** cropRandomWindow, also telling where each sample came from (the same random draws). */
export function cropRandomWindowWithSource(
  signal: Float32Array,
  length: number,
  random: Random,
  options: AugmentationOptions = DEFAULT_AUGMENTATION,
): CroppedWindow {
  const stretch = 1 + uniform(random, -options.maxTimeStretch, options.maxTimeStretch);
  const short = random() < options.shortClipProbability;
  const clipLength = short
    ? Math.min(length, Math.round(uniform(random, 2, 4.5) * MODEL_SAMPLE_RATE))
    : length;
  if (!short) return cropAndStretchWithSource(signal, length, stretch, random);
  const clip = cropAndStretchWithSource(signal, clipLength, stretch, random);
  return {
    samples: Float32Array.from(repeatToLength(clip.samples, length)),
    sourceSampleAt: (i) => clip.sourceSampleAt(i % clipLength),
  };
}

/** Another stethoscope and room: a random filter, background noise and gain, in place. */
export function imitateDevice(
  window: Float32Array,
  random: Random,
  options: AugmentationOptions = DEFAULT_AUGMENTATION,
): Float32Array {
  if (random() < options.filterProbability) {
    const choice = random();
    if (choice < 0.4) applyBiquad(window, 'lowpass', uniform(random, 150, 450), uniform(random, 0.5, 1));
    else if (choice < 0.7) applyBiquad(window, 'highpass', uniform(random, 20, 90), uniform(random, 0.5, 1));
    else
      applyBiquad(
        window,
        'peaking',
        uniform(random, 40, 400),
        uniform(random, 0.5, 2),
        uniform(random, -9, 9),
      );
  }
  if (random() < options.noiseProbability)
    addNoise(window, uniform(random, options.minSnrDb, options.maxSnrDb), random);
  const gain = Math.pow(10, uniform(random, -6, 6) / 20);
  for (let i = 0; i < window.length; i++) window[i] *= gain;
  return window;
}

/** SpecAugment-style frequency mask on normalised features (frame-major), in place. */
export function maskRandomBands(
  features: Float32Array,
  frames: number,
  bands: number,
  random: Random,
  maxBands: number,
): Float32Array {
  const width = 1 + Math.floor(random() * maxBands);
  const first = Math.floor(random() * (bands - width));
  for (let t = 0; t < frames; t++) features.fill(0, t * bands + first, t * bands + first + width);
  return features;
}
