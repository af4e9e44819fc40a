// Heart-sound segmentation with a duration-dependent hidden semi-Markov model, after Springer,
// Tarassenko & Clifford (2016): the states S1 -> systole -> S2 -> diastole repeat in that order, each
// with a Gaussian duration around what the recording's own heart rate and systolic interval (from the
// envelope's autocorrelation) predict, and a duration-aware Viterbi finds the most likely path.
// Springer's emissions come from a logistic regression trained on hand-annotated recordings; the
// development data has none, so here a heart sound is simply where the robustly normalised log
// envelope is high. The duration model is what a peak picker lacks: on a noisy recording it still
// places one S1 and one S2 per beat at plausible spacings instead of chasing every loud click.
// The envelope is the frame energy of one mel spectrogram of the whole recording (20-ms frames),
// which the heart-cycle features reuse: a fraction of the work of a Hilbert envelope. With a 64-ms
// analysis window those frames are also every frame the compact CNN input needs. The research
// replica (research/cycle_frames.py) is the reference this file must match.

import { butterworthLowPass, filtfilt } from '../dsp/butterworth';
import { percentilesOf } from '../dsp/percentile';
import { wasmDecodeDurations, wasmKernelsAvailable } from '../features/dsp-kernels';
import { melPowerSpectrogram, type FeatureConfig, type MelPowerSpectrogram } from '../features/log-mel';

export const HEART_SOUND_STATES = ['S1', 'systole', 'S2', 'diastole'] as const;
export type HeartSoundState = (typeof HEART_SOUND_STATES)[number];

/** One stretch of the recording in one state; sample indices at the signal's rate, end exclusive. */
export type HeartSoundSegment = {
  readonly state: HeartSoundState;
  readonly start: number;
  readonly end: number;
};

/** One complete beat: where its S1 starts, where its S2 starts, and where the next S1 starts (samples). */
export type HeartCycle = { readonly s1: number; readonly s2: number; readonly nextS1: number };

/**
 * The spectrogram the segmentation and the heart-cycle features read: 20-ms frames, 32 mel bands,
 * 25-400 Hz, with a 40-ms analysis window (80 samples; what model 1.3.0's heart-cycle model was
 * fitted on).
 */
export const HEART_SOUND_SPECTROGRAM: FeatureConfig = Object.freeze({
  sampleRate: 2000,
  nFft: 256,
  winLength: 80,
  hopLength: 40,
  nMels: 32,
  fMin: 25,
  fMax: 400,
  logOffset: 1e-6,
});

/**
 * Analysis windows a heart-sound spectrogram may have (samples at 2 kHz): 40 ms, or 64 ms, the compact
 * CNN input's, so that one FFT per frame serves the network and the heart-cycle model. Everything else
 * stays: the segmentation's durations and the features' frame counts assume 20-ms frames.
 */
export const HEART_SOUND_WINDOW_LENGTHS = [80, 128] as const;
export type HeartSoundWindowLength = (typeof HEART_SOUND_WINDOW_LENGTHS)[number];

export function heartSoundSpectrogramConfig(windowLength: HeartSoundWindowLength = 80): FeatureConfig {
  if (!HEART_SOUND_WINDOW_LENGTHS.includes(windowLength))
    throw new RangeError(
      `a heart-sound spectrogram's window is one of ${HEART_SOUND_WINDOW_LENGTHS.join(', ')} samples, got ${windowLength}`,
    );
  return windowLength === HEART_SOUND_SPECTROGRAM.winLength
    ? HEART_SOUND_SPECTROGRAM
    : Object.freeze({ ...HEART_SOUND_SPECTROGRAM, winLength: windowLength });
}

export const SEGMENTATION = {
  /** Feature rate of the envelopes (Springer's): one spectrogram frame each. */
  featureRateHz: 50,
  envelopeLowPassHz: 8,
  /** Springer uses a first-order low-pass; the filter design here has even orders only. */
  envelopeLowPassOrder: 2,
  /** Heart rates searched: 30-120 beats per minute (autocorrelation lags 0.5-2 s). */
  minBeatSec: 0.5,
  maxBeatSec: 2,
  /** The first autocorrelation peak this close to the highest is the beat (not a two-beat lag). */
  beatPeakFraction: 0.75,
  minSystoleSec: 0.2,
  /** Mean and spread of each state's duration (s); systole and diastole follow the heart rate. */
  s1: { meanSec: 0.122, sdSec: 0.022 },
  s2: { meanSec: 0.094, sdSec: 0.022 },
  systoleSdSec: 0.025,
  /** Emission: P(heart sound) = sigmoid(slope * (z - centre)) of the normalised envelope z. */
  emissionSlope: 2.5,
  emissionCentre: 0.6,
  /** Recordings shorter than this are not segmented. */
  minSeconds: 2,
} as const;

const envelopeLowPass = butterworthLowPass(
  SEGMENTATION.envelopeLowPassOrder,
  SEGMENTATION.envelopeLowPassHz,
  SEGMENTATION.featureRateHz,
);

/** Mel power (linear) per frame and band, frame-major: power[t * mels + m]. */
export type HeartSoundSpectrogram = MelPowerSpectrogram;

/**
 * The spectrogram of a conditioned 2 kHz recording that segmentHeartSounds and heartCycleFeatures
 * read: mel power (plus the log-mel contract's offset) without the logarithm, since both sum power.
 */
export function heartSoundSpectrogram(
  signal: Float32Array,
  windowLength: HeartSoundWindowLength = 80,
): HeartSoundSpectrogram {
  return melPowerSpectrogram(signal, heartSoundSpectrogramConfig(windowLength));
}

/** Refuses a spectrogram other than heartSoundSpectrogram's (its frames would mean other times and bands). */
export function checkHeartSoundSpectrogram(spectrogram: HeartSoundSpectrogram): void {
  const { config } = spectrogram;
  const expected = heartSoundSpectrogramConfig(
    HEART_SOUND_WINDOW_LENGTHS.find((w) => w === config.winLength) ?? 80,
  );
  if ((Object.keys(expected) as (keyof FeatureConfig)[]).some((key) => config[key] !== expected[key]))
    throw new RangeError(
      `not a heart-sound spectrogram: ${JSON.stringify(config)}; make it with heartSoundSpectrogram`,
    );
}

/**
 * S1, systole, S2 and diastole segments covering the recording (empty when it is under 2 s), in
 * samples of the 2 kHz signal: a boundary at spectrogram frame t is sample 40 t, where that frame is
 * centred.
 */
export function segmentHeartSounds(
  signal: Float32Array,
  spectrogram: HeartSoundSpectrogram = heartSoundSpectrogram(signal),
  trained?: HeartSoundSegmentationModel,
): HeartSoundSegment[] {
  checkHeartSoundSpectrogram(spectrogram);
  if (spectrogram.frames < SEGMENTATION.minSeconds * SEGMENTATION.featureRateHz) return [];
  const { homomorphic, energy } = envelopeFeatures(spectrogram);
  const { beatsPerMinute, systoleSec } = estimateHeartRate(homomorphic);
  const model = durationModel(beatsPerMinute, systoleSec, trained?.durations);
  const emission = trained
    ? trainedEmissionLogLikelihoods(
        heartSoundFrameFeatures(spectrogram, { homomorphic, energy }),
        trained.emission,
      )
    : emissionLogLikelihoods(homomorphic, energy);
  const step = HEART_SOUND_SPECTROGRAM.hopLength;
  return decodeStates(emission, model).map(({ state, start, end }) => ({
    state: HEART_SOUND_STATES[state],
    start: start * step,
    end: end * step,
  }));
}

/** Every complete S1 -> S2 -> next S1 in the segmentation (the first, cut-off one is skipped). */
export function heartCycles(segments: readonly HeartSoundSegment[]): HeartCycle[] {
  const cycles: HeartCycle[] = [];
  for (let i = 0; i + 4 < segments.length; i++) {
    if (
      segments[i].state === 'S1' &&
      segments[i + 2].state === 'S2' &&
      segments[i + 4].state === 'S1' &&
      segments[i].start > 0
    ) {
      cycles.push({ s1: segments[i].start, s2: segments[i + 2].start, nextS1: segments[i + 4].start });
    }
  }
  return cycles;
}

/**
 * Per frame, the log amplitude (half the log of the frame's total mel power) and its 8-Hz low-pass
 * (the homomorphic envelope), each centred on its median and scaled by its inter-quartile range, so
 * a few loud artifacts do not set the scale.
 */
function envelopeFeatures({ power, frames, mels }: HeartSoundSpectrogram): {
  homomorphic: Float64Array;
  energy: Float64Array;
} {
  const logAmplitude = logAmplitudeOfFrames(power, frames, mels);
  // scipy's sosfiltfilt default padding for these sections: 3 * (2 * sections + 1).
  const homomorphic = filtfilt(envelopeLowPass, logAmplitude, 3 * (2 * envelopeLowPass.length + 1));
  return { homomorphic: robustlyNormalised(homomorphic), energy: robustlyNormalised(logAmplitude) };
}

/**
 * Half the log of each frame's summed mel power. Its own function: inside envelopeFeatures, V8
 * entered this loop by on-stack replacement and left that code again about once per 25 recordings.
 */
function logAmplitudeOfFrames(power: Float64Array, frames: number, mels: number): Float64Array {
  const logAmplitude = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    let total = 0;
    for (let m = 0; m < mels; m++) total += power[t * mels + m];
    logAmplitude[t] = 0.5 * Math.log(total);
  }
  return logAmplitude;
}

function robustlyNormalised(values: Float64Array): Float64Array {
  const [q1, median, q3] = percentilesOf(values, [25, 50, 75]);
  const scale = Math.max(q3 - q1, 1e-3);
  const normalised = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) normalised[i] = (values[i] - median) / scale;
  return normalised;
}

/** Heart rate and systolic interval from the autocorrelation of the homomorphic envelope (Springer). */
export function estimateHeartRate(envelope: Float64Array): { beatsPerMinute: number; systoleSec: number } {
  const rate = SEGMENTATION.featureRateHz;
  const low = Math.floor(SEGMENTATION.minBeatSec * rate);
  const high = Math.min(Math.floor(SEGMENTATION.maxBeatSec * rate), envelope.length - 1);
  if (high <= low) return { beatsPerMinute: 75, systoleSec: 0.3 };
  const correlation = autocorrelation(envelope, high);
  const candidates = Array.from(correlation.subarray(low, high + 1));
  const highest = argmax(candidates);
  let lag = low + highest;
  for (let i = 1; i < candidates.length - 1; i++) {
    const isPeak = candidates[i] >= candidates[i - 1] && candidates[i] >= candidates[i + 1];
    // The first strong peak, not the highest: a slow or irregular rhythm can make the two-beat lag win.
    if (isPeak && candidates[i] >= SEGMENTATION.beatPeakFraction * candidates[highest]) {
      lag = low + i;
      break;
    }
  }
  const systoleLow = Math.floor(SEGMENTATION.minSystoleSec * rate);
  const systoleHigh = Math.min(Math.max(systoleLow + 1, Math.floor(lag / 2)), correlation.length - 1);
  const systoleLag = systoleLow + argmax(Array.from(correlation.subarray(systoleLow, systoleHigh + 1)));
  return { beatsPerMinute: (60 * rate) / lag, systoleSec: systoleLag / rate };
}

/** Autocorrelation of the mean-removed values at lags 0..maxLag, divided by lag 0's. */
function autocorrelation(values: Float64Array, maxLag: number): Float64Array {
  let mean = 0;
  for (const value of values) mean += value;
  mean /= values.length;
  const n = values.length;
  const centred = new Float64Array(n);
  for (let i = 0; i < n; i++) centred[i] = values[i] - mean;
  const output = new Float64Array(maxLag + 1);
  // Two lags per sweep (each its own sum in the same order as one at a time): the sums' additions
  // are latency-bound, and two independent ones overlap.
  let lag = 0;
  for (; lag + 1 <= maxLag; lag += 2) {
    let sum = 0;
    let next = 0;
    const end = n - lag - 1;
    for (let i = 0; i < end; i++) {
      const value = centred[i];
      sum += value * centred[i + lag];
      next += value * centred[i + lag + 1];
    }
    if (end >= 0) sum += centred[end] * centred[end + lag];
    output[lag] = sum;
    output[lag + 1] = next;
  }
  for (; lag <= maxLag; lag++) {
    let sum = 0;
    for (let i = 0; i + lag < n; i++) sum += centred[i] * centred[i + lag];
    output[lag] = sum;
  }
  const zero = Math.max(output[0], 1e-9);
  for (let k = 0; k <= maxLag; k++) output[k] /= zero;
  return output;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Per state (S1, systole, S2, diastole): shortest and longest duration in frames, and log P(duration). */
type DurationModel = {
  readonly shortest: number[];
  readonly longest: number[];
  readonly logProbability: Float64Array[];
};

/** A fitted duration spread of zero would leave every other duration impossible and the decoding without a path. */
const MIN_DURATION_SD_SEC = 0.005;

function durationModel(
  beatsPerMinute: number,
  systoleSec: number,
  durations: SegmentationDurations = SEGMENTATION,
): DurationModel {
  const rate = SEGMENTATION.featureRateHz;
  const beatSec = 60 / beatsPerMinute;
  const mean = [
    durations.s1.meanSec,
    systoleSec - durations.s1.meanSec,
    durations.s2.meanSec,
    beatSec - systoleSec - durations.s2.meanSec,
  ].map((s) => s * rate);
  const sd = [
    durations.s1.sdSec,
    durations.systoleSdSec,
    durations.s2.sdSec,
    0.07 * Math.max(mean[3] / rate, 0.05) + 0.006,
  ].map((s) => Math.max(s, MIN_DURATION_SD_SEC) * rate);
  mean[1] = Math.max(mean[1], 0.06 * rate);
  mean[3] = Math.max(mean[3], 0.1 * rate);
  const shortest = mean.map((m, j) => Math.max(1, Math.floor(m - 3 * sd[j])));
  const longest = mean.map((m, j) => Math.max(shortest[j] + 1, Math.ceil(m + 3 * sd[j])));
  const span = Math.max(...longest) + 1;
  const logProbability = mean.map((m, j) => {
    const row = new Float64Array(span);
    for (let d = 0; d < span; d++) row[d] = -0.5 * ((d - m) / sd[j]) ** 2 - Math.log(sd[j]);
    return row;
  });
  return { shortest, longest, logProbability };
}

/** log P(frame | state) up to a constant, [frame * 4 + state]: a heart sound is where the envelope is high. */
function emissionLogLikelihoods(homomorphic: Float64Array, energy: Float64Array): Float64Array {
  const output = new Float64Array(homomorphic.length * 4);
  for (let t = 0; t < homomorphic.length; t++) {
    const a = SEGMENTATION.emissionSlope * (0.5 * (homomorphic[t] + energy[t]) - SEGMENTATION.emissionCentre);
    const loud = -softplus(-a);
    const quiet = -softplus(a);
    output[t * 4] = loud;
    output[t * 4 + 1] = quiet;
    output[t * 4 + 2] = loud;
    output[t * 4 + 3] = quiet;
  }
  return output;
}

/**
 * A segmentation fitted on hand-annotated recordings (Springer's approach): a four-class logistic
 * regression over heartSoundFrameFeatures gives P(state | frame), divided by the state's prior for
 * the HSMM's emission; and S1, S2 and systole durations measured on the annotations.
 */
export interface HeartSoundSegmentationModel {
  readonly emission: {
    /** Names of heartSoundFrameFeatures' columns it was fitted on (checked: a different list is refused). */
    readonly featureNames: readonly string[];
    /** Per state (S1, systole, S2, diastole): an intercept followed by one weight per feature. */
    readonly weights: readonly (readonly number[])[];
    /** log P(state) over the fitting frames. */
    readonly logPriors: readonly number[];
  };
  readonly durations?: SegmentationDurations;
}

export interface SegmentationDurations {
  readonly s1: { readonly meanSec: number; readonly sdSec: number };
  readonly s2: { readonly meanSec: number; readonly sdSec: number };
  readonly systoleSdSec: number;
}

/** Envelope offsets (frames of 20 ms) whose values describe a frame's surroundings: a sound's rise and fall, and what lies 200 ms away. */
const CONTEXT_OFFSETS = [-10, -6, -3, -1, 1, 3, 6, 10] as const;
/** Mel bands summed into each of the coarse bands whose level (against the recording's median) is a feature. */
const COARSE_BAND_WIDTH = 4;

/** Column names of heartSoundFrameFeatures for a 32-band spectrogram. */
export const HEART_SOUND_FRAME_FEATURE_NAMES: readonly string[] = Object.freeze([
  'homomorphic',
  'energy',
  ...CONTEXT_OFFSETS.map((offset) => `homomorphic[${offset > 0 ? '+' : ''}${offset}]`),
  ...Array.from({ length: HEART_SOUND_SPECTROGRAM.nMels / COARSE_BAND_WIDTH }, (_, b) => `band${b}`),
]);

/**
 * What a trained emission model reads per 20-ms frame, frame-major (frames x names): the normalised
 * homomorphic envelope and log amplitude, the envelope at nearby frames (clamped at the edges), and
 * each coarse band's log power against its median over the recording (scaled by its inter-quartile range).
 */
export function heartSoundFrameFeatures(
  spectrogram: HeartSoundSpectrogram,
  envelopes: { homomorphic: Float64Array; energy: Float64Array } = envelopeFeatures(spectrogram),
): { values: Float64Array; names: readonly string[] } {
  const { power, frames, mels } = spectrogram;
  const names = HEART_SOUND_FRAME_FEATURE_NAMES;
  const width = names.length;
  const coarse = mels / COARSE_BAND_WIDTH;
  const values = new Float64Array(frames * width);
  const { homomorphic, energy } = envelopes;
  const bandLogs = Array.from({ length: coarse }, () => new Float64Array(frames));
  for (let t = 0; t < frames; t++)
    for (let b = 0; b < coarse; b++) {
      let sum = 0;
      for (let m = b * COARSE_BAND_WIDTH; m < (b + 1) * COARSE_BAND_WIDTH; m++) sum += power[t * mels + m];
      bandLogs[b][t] = 0.5 * Math.log(sum);
    }
  const bands = bandLogs.map(robustlyNormalised);
  for (let t = 0; t < frames; t++) {
    const row = t * width;
    values[row] = homomorphic[t];
    values[row + 1] = energy[t];
    CONTEXT_OFFSETS.forEach((offset, k) => {
      values[row + 2 + k] = homomorphic[Math.min(frames - 1, Math.max(0, t + offset))];
    });
    for (let b = 0; b < coarse; b++) values[row + 2 + CONTEXT_OFFSETS.length + b] = bands[b][t];
  }
  return { values, names };
}

function trainedEmissionLogLikelihoods(
  { values, names }: { values: Float64Array; names: readonly string[] },
  emission: HeartSoundSegmentationModel['emission'],
): Float64Array {
  if (
    emission.featureNames.length !== names.length ||
    emission.featureNames.some((name, k) => name !== names[k])
  )
    throw new RangeError(
      `this segmentation model reads features ${emission.featureNames.join(', ')}, but this build computes ${names.join(', ')}`,
    );
  const width = names.length;
  const frames = values.length / width;
  const output = new Float64Array(frames * 4);
  const scores = new Float64Array(4);
  for (let t = 0; t < frames; t++) {
    for (let j = 0; j < 4; j++) {
      const w = emission.weights[j];
      let z = w[0];
      for (let k = 0; k < width; k++) z += w[k + 1] * values[t * width + k];
      scores[j] = z;
    }
    const top = Math.max(scores[0], scores[1], scores[2], scores[3]);
    const logSum =
      top +
      Math.log(
        Math.exp(scores[0] - top) +
          Math.exp(scores[1] - top) +
          Math.exp(scores[2] - top) +
          Math.exp(scores[3] - top),
      );
    for (let j = 0; j < 4; j++) output[t * 4 + j] = scores[j] - logSum - emission.logPriors[j];
  }
  return output;
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * Most likely segmentation under the cyclic duration model (state j follows state j - 1 mod 4); the
 * first and last segments may be cut by the recording's edges, so they carry no duration term.
 * Returns segments in frames.
 */
function decodeStates(
  emission: Float64Array,
  model: DurationModel,
): { state: number; start: number; end: number }[] {
  const frames = emission.length / 4;
  const firstSegment = Math.log(0.25);
  const { best, bestDuration } = wasmKernelsAvailable()
    ? wasmDecodeDurations(emission, model.shortest, model.longest, model.logProbability, firstSegment)
    : forwardPass(emission, model, firstSegment);
  const segments: { state: number; start: number; end: number }[] = [];
  let state = argmax(best.subarray(frames * 4, frames * 4 + 4));
  for (let t = frames; t > 0;) {
    const d = bestDuration[t * 4 + state];
    segments.push({ state, start: t - d, end: t });
    t -= d;
    state = (state + 3) % 4;
  }
  return segments.reverse();
}

/** decodeStates' forward pass in JavaScript (wasmDecodeDurations does the same where it can). */
function forwardPass(
  emission: Float64Array,
  model: DurationModel,
  firstSegment: number,
): { best: Float64Array; bestDuration: Int32Array } {
  const frames = emission.length / 4;
  const cumulative = new Float64Array((frames + 1) * 4);
  for (let t = 0; t < frames; t++)
    for (let j = 0; j < 4; j++) cumulative[(t + 1) * 4 + j] = cumulative[t * 4 + j] + emission[t * 4 + j];
  const best = new Float64Array((frames + 1) * 4).fill(-Infinity);
  const bestDuration = new Int32Array((frames + 1) * 4);
  for (let t = 1; t <= frames; t++) {
    const last = t === frames;
    for (let j = 0; j < 4; j++) {
      const previous = (j + 3) % 4;
      const longest = Math.min(model.longest[j], t);
      const durationLog = model.logProbability[j];
      const here = cumulative[t * 4 + j];
      let top = -Infinity;
      let topDuration = 0;
      // Durations under the shortest score -Infinity (never the strict maximum) except one from the
      // recording's start, so the loop starts at the shortest; same arithmetic and ties as trying all.
      const shortest = last ? 1 : model.shortest[j];
      if (t < shortest && t <= longest) {
        top = firstSegment + here - cumulative[j];
        topDuration = t;
      }
      for (let d = shortest; d <= longest; d++) {
        const start = t - d;
        const fromPrevious = last ? best[start * 4 + previous] : best[start * 4 + previous] + durationLog[d];
        const entry = start === 0 ? Math.max(fromPrevious, firstSegment) : fromPrevious;
        const total = entry + here - cumulative[start * 4 + j];
        if (total > top) {
          top = total;
          topDuration = d;
        }
      }
      best[t * 4 + j] = top;
      bestDuration[t * 4 + j] = topDuration;
    }
  }
  return { best, bestDuration };
}
