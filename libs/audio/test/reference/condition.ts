// Reference copy of libs/audio/src as of 4e8b638, before the issue-28 speed-ups: the faster code is
// tested against it (libs/audio/test/reference-equivalence.test.ts). Not shipped; do not optimise.

// Turns a decoded recording into the clean, comparable signal the features are computed from:
// same rate, heart-sound band only, and an amplitude scale that a single loud bump cannot dictate.

import type { DecodedAudio } from '../../src/decode/decode-audio';
import { butterworthHighPass, butterworthLowPass, filtfilt, type Biquad } from './butterworth';
import { resample } from '../../src/dsp/resample';

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

const bandPassCache = new Map<number, Biquad[]>();

export function bandPassSections(sampleRate: number): Biquad[] {
  let sections = bandPassCache.get(sampleRate);
  if (!sections) {
    sections = butterworthHighPass(CONDITIONING.highPassOrder, CONDITIONING.lowCutHz, sampleRate);
    // At rates too low to hold 400 Hz the resampler's anti-aliasing filter is the low-pass.
    if (CONDITIONING.highCutHz < 0.45 * sampleRate) {
      sections = sections.concat(
        butterworthLowPass(CONDITIONING.lowPassOrder, CONDITIONING.highCutHz, sampleRate),
      );
    }
    bandPassCache.set(sampleRate, sections);
  }
  return sections;
}

/** Zero-phase 25-400 Hz band-pass with DC removal; no amplitude change. */
export function bandPass(samples: Float32Array, sampleRate: number): Float32Array {
  return Float32Array.from(zeroPhaseBandPass(samples, sampleRate));
}

function zeroPhaseBandPass(samples: Float32Array, sampleRate: number): Float64Array {
  // Three periods of the low cut-off is enough reflected signal for the high-pass to settle.
  const padLength = 3 * Math.ceil(sampleRate / CONDITIONING.lowCutHz);
  return filtfilt(bandPassSections(sampleRate), samples, padLength, mean(samples));
}

/** DC removal, zero-phase 25-400 Hz band-pass, robust scaling to the 99th percentile of |x|, clipping at +-3. */
export function conditionSignal(samples: Float32Array, sampleRate: number): Float32Array {
  const filtered = zeroPhaseBandPass(samples, sampleRate);
  const output = new Float32Array(filtered.length);
  const reference = quantileOfMagnitude(filtered, CONDITIONING.normalisationQuantile);
  if (!(reference > 0)) return output;
  const scale = 1 / reference;
  const clip = CONDITIONING.clipLevel;
  for (let i = 0; i < filtered.length; i++) {
    const value = filtered[i] * scale;
    output[i] = value > clip ? clip : value < -clip ? -clip : value;
  }
  return output;
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
  return selectKth(values, Math.min(n - 1, Math.floor(quantile * (n - 1))));
}

function selectKth(values: Float32Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return values[k];
  }
  return values[k];
}
