// Signal quality, so the product can answer "unsure" for a recording it cannot judge instead of
// guessing. Three measures, each mapped to 0..1 and multiplied (any one of them can veto):
//  - periodicity: peak of the normalised autocorrelation of the heart-sound envelope at lags of
//    0.3-1.5 s (200-40 bpm). Heartbeats repeat; rubbing, speech and noise do not.
//  - clipping: fraction of raw samples within 1 % of digital full scale (|x| >= 0.99).
//  - noise: background-to-beat ratio of the envelope (median / 95th percentile). Heart sounds are
//    short bursts over a quiet background, so a clean recording has a low ratio; steady noise has ~1.

import { quantileOfMagnitude } from './dsp/condition';

export type SignalQuality = {
  /** 0 (unusable) .. 1 (clean, periodic): periodicityScore x clippingScore x noiseScore. */
  readonly score: number;
  /** Highest normalised envelope autocorrelation in the 40-200 bpm lag range, 0..1. */
  readonly periodicity: number;
  /** Beat rate at that autocorrelation peak; may be twice the heart rate when S1-S2 dominates. */
  readonly beatRateBpm: number;
  readonly clippingFraction: number;
  /** Envelope median / 95th percentile, 0..1. */
  readonly noiseRatio: number;
};

export const QUALITY_SCORING = {
  minBpm: 40,
  maxBpm: 200,
  envelopeRate: 50,
  /** Periodicity at or below this scores 0, at or above the next scores 1. */
  periodicityFloor: 0.15,
  periodicityFull: 0.6,
  clippingLevel: 0.99,
  /** Clipped fraction that scores 0. */
  clippingFractionZero: 0.05,
  noiseRatioClean: 0.15,
  noiseRatioZero: 0.6,
  /** Below this score a prediction should be reported as unsure. */
  unsureBelow: 0.3,
} as const;

/**
 * @param signal conditioned signal (prepareSignal / conditionSignal output) of a recording or window
 * @param rawSamples the decoded samples before conditioning, for clipping; omit to skip that measure
 */
export function assessSignalQuality(
  signal: Float32Array,
  sampleRate: number,
  rawSamples?: Float32Array,
): SignalQuality {
  const envelope = heartSoundEnvelope(signal, sampleRate);
  const { periodicity, beatRateBpm } = envelopePeriodicity(envelope);
  const clippingFraction = rawSamples ? fractionClipped(rawSamples) : 0;
  const p95 = quantileOfMagnitude(envelope, 0.95);
  const noiseRatio = p95 > 0 ? Math.min(1, quantileOfMagnitude(envelope, 0.5) / p95) : 1;
  const s = QUALITY_SCORING;
  const score =
    ramp(periodicity, s.periodicityFloor, s.periodicityFull) *
    (1 - ramp(clippingFraction, 0, s.clippingFractionZero)) *
    (1 - ramp(noiseRatio, s.noiseRatioClean, s.noiseRatioZero));
  return { score, periodicity, beatRateBpm, clippingFraction, noiseRatio };
}

/** Quality of each window, e.g. of segmentIntoWindows output, in the same order. */
export function assessWindowQuality(
  windows: readonly { readonly samples: Float32Array }[],
  sampleRate: number,
): SignalQuality[] {
  return windows.map((window) => assessSignalQuality(window.samples, sampleRate));
}

/** Rectified signal averaged over blocks of 1/envelopeRate s: a 50 Hz envelope of the heart sounds. */
export function heartSoundEnvelope(signal: Float32Array, sampleRate: number): Float64Array {
  const block = Math.max(1, Math.round(sampleRate / QUALITY_SCORING.envelopeRate));
  const length = Math.floor(signal.length / block);
  const envelope = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (let j = i * block; j < (i + 1) * block; j++) sum += Math.abs(signal[j]);
    envelope[i] = sum / block;
  }
  return envelope;
}

function envelopePeriodicity(envelope: Float64Array): { periodicity: number; beatRateBpm: number } {
  const rate = QUALITY_SCORING.envelopeRate;
  const minLag = Math.floor((60 / QUALITY_SCORING.maxBpm) * rate);
  const maxLag = Math.min(envelope.length - 1, Math.ceil((60 / QUALITY_SCORING.minBpm) * rate));
  if (maxLag <= minLag) return { periodicity: 0, beatRateBpm: 0 };
  let mean = 0;
  for (const value of envelope) mean += value;
  mean /= envelope.length;
  const centred = envelope.map((value) => value - mean);
  let energy = 0;
  for (const value of centred) energy += value * value;
  if (energy === 0) return { periodicity: 0, beatRateBpm: 0 };
  let best = 0;
  let bestLag = 0;
  for (let lag = minLag; lag <= maxLag; lag++) {
    let sum = 0;
    for (let i = lag; i < centred.length; i++) sum += centred[i] * centred[i - lag];
    // Unbiased normalisation: fewer overlapping samples at long lags should not look less periodic.
    const normalised = (sum / energy) * (centred.length / (centred.length - lag));
    if (normalised > best) {
      best = normalised;
      bestLag = lag;
    }
  }
  return { periodicity: Math.min(1, best), beatRateBpm: bestLag > 0 ? (60 * rate) / bestLag : 0 };
}

function fractionClipped(samples: Float32Array): number {
  let clipped = 0;
  for (let i = 0; i < samples.length; i++)
    if (Math.abs(samples[i]) >= QUALITY_SCORING.clippingLevel) clipped++;
  return samples.length > 0 ? clipped / samples.length : 0;
}

function ramp(value: number, zeroAt: number, oneAt: number): number {
  return Math.min(1, Math.max(0, (value - zeroAt) / (oneAt - zeroAt)));
}
