// Turns a decoded recording into the clean, comparable signal the features are computed from:
// same rate, heart-sound band only, and an amplitude scale that a single loud bump cannot dictate.

import type { DecodedAudio } from '../decode/decode-audio';
import {
  butterworthHighPass,
  butterworthLowPass,
  runUnitNumeratorCascade,
  unitNumeratorCascade,
  type Biquad,
  type UnitNumeratorCascade,
} from './butterworth';
import { wasmConditionSignal, wasmKernelsAvailable } from '../features/dsp-kernels';
import { selectInPlace } from './percentile';
import { resample } from './resample';

export const MODEL_SAMPLE_RATE = 2000;

export const CONDITIONING = {
  lowCutHz: 25,
  highCutHz: 400,
  /** 4th-order high-pass; applied forward and backward it is 8th-order in magnitude. */
  highPassOrder: 4,
  /** 6th-order low-pass: 600 Hz lies only 0.58 octave above 400 Hz and must lose >= 20 dB. */
  lowPassOrder: 6,
  /** Amplitude reference: this quantile of |x| becomes 1, so sparse spikes do not shrink the heart sounds. */
  normalisationQuantile: 0.99,
  /** After scaling, samples beyond this are clipped (friction, bumps, stethoscope knocks). */
  clipLevel: 3,
} as const;

function bandPassSections(sampleRate: number): Biquad[] {
  const highPass = butterworthHighPass(CONDITIONING.highPassOrder, CONDITIONING.lowCutHz, sampleRate);
  // At rates too low to hold 400 Hz the resampler's anti-aliasing filter is the low-pass.
  return CONDITIONING.highCutHz < 0.45 * sampleRate
    ? highPass.concat(butterworthLowPass(CONDITIONING.lowPassOrder, CONDITIONING.highCutHz, sampleRate))
    : highPass;
}

/**
 * The band-pass sections with their numerators factored out (unitNumeratorCascade), cached per rate.
 */
const unitBandPassCache = new Map<number, UnitNumeratorCascade>();

function unitBandPass(sampleRate: number): UnitNumeratorCascade {
  let cascade = unitBandPassCache.get(sampleRate);
  if (!cascade) {
    cascade = unitNumeratorCascade(bandPassSections(sampleRate));
    unitBandPassCache.set(sampleRate, cascade);
  }
  return cascade;
}

/** Zero-phase 25-400 Hz band-pass with DC removal; no amplitude change. */
export function bandPass(samples: Float32Array, sampleRate: number): Float32Array {
  const output = new Float32Array(samples.length);
  const { filtered, pad, gain } = zeroPhaseBandPass(samples, sampleRate);
  for (let i = 0; i < output.length; i++) output[i] = filtered[pad + i] * gain;
  return output;
}

/**
 * The filtered signal times 1 / gain, at [pad, pad + n) of a scratch buffer that the next call
 * reuses (read it before calling again).
 */
function zeroPhaseBandPass(
  samples: Float32Array,
  sampleRate: number,
): { filtered: Float64Array; pad: number; gain: number } {
  const n = samples.length;
  const pad = reflectionPad(n, sampleRate);
  const cascade = unitBandPass(sampleRate);
  const extended = scratchFloat64(n + 2 * pad).subarray(0, n + 2 * pad);
  if (n > 0) {
    reflectAround(samples, pad, mean(samples), extended);
    runUnitNumeratorCascade(cascade.sections, extended, 1);
    runUnitNumeratorCascade(cascade.sections, extended, -1);
  }
  // Forward and backward: the cascade's gain twice.
  return { filtered: extended, pad, gain: cascade.gain * cascade.gain };
}

/** DC removal, zero-phase 25-400 Hz band-pass, robust scaling to the 99th percentile of |x|, clipping at +-3. */
export function conditionSignal(samples: Float32Array, sampleRate: number): Float32Array {
  const n = samples.length;
  const cascade = unitBandPass(sampleRate);
  if (n >= 2 && cascade.sections.length === 5 && wasmKernelsAvailable()) {
    const conditioned = wasmConditionSignal(
      samples,
      reflectionPad(n, sampleRate),
      { sections: cascade.sections, gain: cascade.gain * cascade.gain },
      quantileRank(n),
      CONDITIONING.clipLevel,
    );
    if (conditioned) return conditioned;
  }
  return conditionSignalInJavaScript(samples, sampleRate);
}

/** conditionSignal where the WebAssembly kernel does not serve (it gives the same values where it does). */
export function conditionSignalInJavaScript(samples: Float32Array, sampleRate: number): Float32Array {
  const n = samples.length;
  const output = new Float32Array(n);
  const { filtered, pad, gain } = zeroPhaseBandPass(samples, sampleRate);
  // quantileOfMagnitude of the filtered signal, its magnitudes written straight into a scratch buffer
  const magnitudes = scratchFloat32(n);
  for (let i = 0; i < n; i++) magnitudes[i] = Math.abs(filtered[pad + i] * gain);
  const reference = n === 0 ? 0 : selectInPlace(magnitudes, 0, n - 1, quantileRank(n));
  if (!(reference > 0)) return output;
  const scale = 1 / reference;
  const clip = CONDITIONING.clipLevel;
  for (let i = 0; i < n; i++) {
    const value = filtered[pad + i] * gain * scale;
    output[i] = value > clip ? clip : value < -clip ? -clip : value;
  }
  return output;
}

/** Three periods of the low cut-off is enough reflected signal for the high-pass to settle. */
function reflectionPad(n: number, sampleRate: number): number {
  return Math.max(0, Math.min(3 * Math.ceil(sampleRate / CONDITIONING.lowCutHz), n - 1));
}

/** Where the amplitude reference lies among n sorted magnitudes. */
function quantileRank(n: number): number {
  return Math.min(n - 1, Math.floor(CONDITIONING.normalisationQuantile * (n - 1)));
}

/** Resamples to the model rate (2000 Hz) and conditions the signal. */
export function prepareSignal(decoded: Pick<DecodedAudio, 'samples' | 'sampleRate'>): Float32Array {
  const atModelRate =
    decoded.sampleRate === MODEL_SAMPLE_RATE
      ? decoded.samples
      : resample(decoded.samples, decoded.sampleRate, MODEL_SAMPLE_RATE);
  return conditionSignal(atModelRate, MODEL_SAMPLE_RATE);
}

function mean(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i];
  return samples.length > 0 ? sum / samples.length : 0;
}

/** Quantile of |x| by quickselect: linear time, which matters for 10-minute uploads. */
export function quantileOfMagnitude(samples: ArrayLike<number>, quantile: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.abs(samples[i]);
  return selectInPlace(values, 0, n - 1, Math.min(n - 1, Math.floor(quantile * (n - 1))));
}

/**
 * numpy-style odd reflection of samples - offset, `pad` samples each side (like filtfilt's), into
 * out[0 .. n + 2 pad).
 */
function reflectAround(samples: Float32Array, pad: number, offset: number, out: Float64Array): void {
  const n = samples.length;
  const first = samples[0] - offset;
  const last = samples[n - 1] - offset;
  for (let i = 0; i < pad; i++) out[i] = 2 * first - (samples[pad - i] - offset);
  for (let i = 0; i < n; i++) out[pad + i] = samples[i] - offset;
  for (let i = 0; i < pad; i++) out[pad + n + i] = 2 * last - (samples[n - 2 - i] - offset);
}

// Scratch buffers reused across recordings (a recording's band-pass allocated ~2.5x its size in
// float64 and float32 arrays, which the garbage collector then had to clear); long ones are not kept.
const MAX_KEPT_SCRATCH = 1 << 19;
let float64Scratch = new Float64Array(0);
let float32Scratch = new Float32Array(0);

function scratchFloat64(length: number): Float64Array {
  if (length > MAX_KEPT_SCRATCH) return new Float64Array(length);
  if (float64Scratch.length < length)
    float64Scratch = new Float64Array(Math.min(MAX_KEPT_SCRATCH, 2 * length));
  return float64Scratch;
}

function scratchFloat32(length: number): Float32Array {
  if (length > MAX_KEPT_SCRATCH) return new Float32Array(length);
  if (float32Scratch.length < length)
    float32Scratch = new Float32Array(Math.min(MAX_KEPT_SCRATCH, 2 * length));
  return float32Scratch;
}
