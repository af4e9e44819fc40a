// Log-mel spectrogram exactly as docs/CONTRACTS.md fixes it (librosa conventions), computed with a
// real FFT and a sparse filterbank so a 30-s recording takes a few milliseconds.

import FFT from 'fft.js';
import { melFilterbank } from './mel-filterbank';
import { wasmMelPower, wasmMelPowerPlan, wasmMelPowerServes, type WasmMelPowerPlan } from './dsp-kernels';

export type FeatureConfig = {
  readonly sampleRate: number;
  readonly nFft: number;
  /** Hann window length; the window sits centred inside the nFft frame (librosa's win_length). */
  readonly winLength: number;
  readonly hopLength: number;
  readonly nMels: number;
  readonly fMin: number;
  readonly fMax: number;
  /** Added to the mel power before the natural log. */
  readonly logOffset: number;
};

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = Object.freeze({
  sampleRate: 2000,
  nFft: 256,
  winLength: 128,
  hopLength: 40,
  nMels: 64,
  fMin: 25,
  fMax: 1000,
  logOffset: 1e-6,
});

/** Frame-major: value(frame t, band m) = data[t * mels + m]. */
export type LogMelSpectrogram = {
  readonly data: Float32Array;
  readonly frames: number;
  readonly mels: number;
};

type SparseBand = { readonly firstBin: number; readonly weights: Float64Array };

/** The sparse bands packed into flat arrays: band m has weights[offset[m] .. offset[m + 1]) from bin firstBin[m]. */
type PackedBands = {
  readonly firstBin: Int32Array;
  readonly offset: Int32Array;
  readonly weights: Float64Array;
  /** Bins outside [lowBin, highBin) carry no weight in any band, so their power is not computed. */
  readonly lowBin: number;
  readonly highBin: number;
};

type Plan = {
  readonly fft: FFT;
  /** Hann window placed at its offset inside the nFft frame; only the window's span is multiplied. */
  readonly window: Float64Array;
  readonly windowOffset: number;
  readonly bands: PackedBands;
  readonly frameInput: Float64Array;
  readonly spectrum: Float64Array;
  readonly power: Float64Array;
  /** Two frames as one complex signal (real part: the first, imaginary: the second), interleaved. */
  readonly pairInput: Float64Array;
  readonly pairSpectrum: Float64Array;
  readonly secondPower: Float64Array;
  /** The same frames in WebAssembly (dsp-kernels.ts), where the runtime and the FFT size allow. */
  readonly wasm: WasmMelPowerPlan | undefined;
};

const plans = new Map<string, Plan>();

export function frameCount(sampleCount: number, config: FeatureConfig = DEFAULT_FEATURE_CONFIG): number {
  return 1 + Math.floor(sampleCount / config.hopLength);
}

export function logMelSpectrogram(
  samples: Float32Array,
  config: FeatureConfig = DEFAULT_FEATURE_CONFIG,
): LogMelSpectrogram {
  const frames = frameCount(samples.length, config);
  const data = new Float32Array(frames * config.nMels);
  const { wasm } = planFor(config);
  if (wasm && samples.length > config.nFft / 2) logInto(data, melPowerSpectrogram(samples, config).power);
  else fillEveryFrame(samples, config, data, false);
  return { data, frames, mels: config.nMels };
}

/**
 * data[i] = ln(power[i]). Its own function: inside logMelSpectrogram, V8 entered this loop by
 * on-stack replacement and left that code again on about one call in five (`--trace-deopt`).
 */
function logInto(data: Float32Array, power: Float64Array): void {
  for (let i = 0; i < data.length; i++) data[i] = Math.log(power[i]);
}

/** Mel power + logOffset (the log-mel before its logarithm), frame-major, with the analysis that made it. */
export type MelPowerSpectrogram = {
  readonly power: Float64Array;
  readonly frames: number;
  readonly mels: number;
  readonly config: FeatureConfig;
};

/**
 * The same frames as logMelSpectrogram before the logarithm (mel power + logOffset), in float64.
 * Two real frames go through one complex FFT (a third less FFT time than one real FFT each); the
 * result equals one real FFT per frame (melPowerSpectrogramOneFftPerFrame, the reference kept for
 * the tests) to rounding, ~1e-15 relative: not to the bit.
 */
export function melPowerSpectrogram(samples: Float32Array, config: FeatureConfig): MelPowerSpectrogram {
  const plan = planFor(config);
  if (!plan.wasm) return melPowerSpectrogramInJavaScript(samples, config);
  const half = config.nFft / 2;
  if (samples.length <= half)
    throw new RangeError(
      `log-mel needs more than ${half} samples for reflect padding, got ${samples.length}`,
    );
  const frames = frameCount(samples.length, config);
  const power = wasmMelPower(plan.wasm, samples, half, frames, plan.windowOffset, config.hopLength);
  return { power, frames, mels: config.nMels, config };
}

/** melPowerSpectrogram without WebAssembly: what runs where the module cannot (kept tested). */
export function melPowerSpectrogramInJavaScript(
  samples: Float32Array,
  config: FeatureConfig,
): MelPowerSpectrogram {
  const frames = frameCount(samples.length, config);
  const power = new Float64Array(frames * config.nMels);
  const half = config.nFft / 2;
  if (samples.length <= half)
    throw new RangeError(
      `log-mel needs more than ${half} samples for reflect padding, got ${samples.length}`,
    );
  const plan = planFor(config);
  const padded = reflectPad(samples, half);
  const { hopLength, nMels } = config;
  let t = 0;
  for (; t + 1 < frames; t += 2) {
    computeFramePair(
      plan,
      config,
      padded,
      t * hopLength + plan.windowOffset,
      (t + 1) * hopLength + plan.windowOffset,
      power,
      t * nMels,
      (t + 1) * nMels,
    );
  }
  if (t < frames)
    computeFrame(plan, config, padded, t * hopLength + plan.windowOffset, power, t * nMels, true);
  return { power, frames, mels: nMels, config };
}

/** melPowerSpectrogram with one real FFT per frame: the reference its pairing of frames is tested against. */
export function melPowerSpectrogramOneFftPerFrame(
  samples: Float32Array,
  config: FeatureConfig,
): MelPowerSpectrogram {
  const frames = frameCount(samples.length, config);
  const power = new Float64Array(frames * config.nMels);
  fillEveryFrame(samples, config, power, true);
  return { power, frames, mels: config.nMels, config };
}

/** Every centred frame of the reflect-padded signal into `out` (frame-major), logged unless `linear`. */
function fillEveryFrame(
  samples: Float32Array,
  config: FeatureConfig,
  out: Float32Array | Float64Array,
  linear: boolean,
): void {
  const half = config.nFft / 2;
  if (samples.length <= half)
    throw new RangeError(
      `log-mel needs more than ${half} samples for reflect padding, got ${samples.length}`,
    );
  const plan = planFor(config);
  const padded = reflectPad(samples, half);
  const frames = frameCount(samples.length, config);
  for (let t = 0; t < frames; t++) {
    computeFrame(
      plan,
      config,
      padded,
      t * config.hopLength + plan.windowOffset,
      out,
      t * config.nMels,
      linear,
    );
  }
}

/**
 * The log-mel of every window, equal to calling logMelSpectrogram on each (to float32 rounding: that
 * one computes in WebAssembly where it can), but frames that lie
 * wholly inside the signal are computed once and shared by the overlapping windows (half the work at
 * the default 50 % overlap). `windows` must be views of `signal` as segmentIntoWindows returns them.
 * `whole`, when given, is the mel power of all of `signal` with the same analysis at a hop dividing
 * config.hopLength (see framesServe), such as the heart-sound spectrogram: those frames are then read
 * from it, not computed again.
 */
export function logMelSpectrogramsOfWindows(
  signal: Float32Array,
  windows: readonly { readonly startSec: number; readonly samples: Float32Array }[],
  config: FeatureConfig = DEFAULT_FEATURE_CONFIG,
  whole?: MelPowerSpectrogram,
): LogMelSpectrogram[] {
  if (whole && !framesServe(whole, config, signal.length))
    throw new RangeError(
      "the given mel power spectrogram is not of this signal with the same analysis at a hop dividing the windows' hop",
    );
  const { hopLength, nMels, sampleRate } = config;
  const plan = planFor(config);
  const halfWindow = plan.windowOffset - config.nFft / 2; // first windowed sample relative to the frame centre
  const grid = whole ? whole.config.hopLength : hopLength;
  const sharedFrames = Math.floor(signal.length / hopLength) + 1;
  // Without `whole`: each interior frame is computed once into `shared`, marked in `computed`.
  const shared = whole ? undefined : new Float32Array(sharedFrames * nMels);
  const computed = whole ? undefined : new Uint8Array(sharedFrames);
  return windows.map((window) => {
    const start = Math.round(window.startSec * sampleRate);
    const isView =
      window.samples.buffer === signal.buffer && window.samples.byteOffset === signal.byteOffset + start * 4;
    if (!isView || start % grid !== 0) return logMelSpectrogram(window.samples, config);
    const result = logMelOfEdgeFrames(window.samples, config, plan);
    const n = window.samples.length;
    for (let t = 0; t < result.frames; t++) {
      const firstSample = t * hopLength + halfWindow;
      if (firstSample < 0 || firstSample + plan.window.length > n) continue; // touches the reflect padding
      if (whole) {
        const offset = ((start + t * hopLength) / grid) * nMels;
        for (let m = 0; m < nMels; m++) result.data[t * nMels + m] = Math.log(whole.power[offset + m]);
        continue;
      }
      const globalFrame = start / hopLength + t;
      if (!computed![globalFrame]) {
        computeFrame(plan, config, signal, start + firstSample, shared!, globalFrame * nMels);
        computed![globalFrame] = 1;
      }
      copyRow(shared!, globalFrame * nMels, result.data, t * nMels, nMels);
    }
    return result;
  });
}

/**
 * Whether `whole` (the mel power of a signal of `signalLength` samples) holds every frame that `config`
 * would compute: the same analysis (rate, FFT, window, bands, offset) at a hop that divides config's.
 */
export function framesServe(
  whole: MelPowerSpectrogram,
  config: FeatureConfig,
  signalLength: number,
): boolean {
  const a = whole.config;
  return (
    a.sampleRate === config.sampleRate &&
    a.nFft === config.nFft &&
    a.winLength === config.winLength &&
    a.nMels === config.nMels &&
    a.fMin === config.fMin &&
    a.fMax === config.fMax &&
    a.logOffset === config.logOffset &&
    config.hopLength % a.hopLength === 0 &&
    whole.frames === frameCount(signalLength, a)
  );
}

// A plain loop: subarray() per frame allocates and cost more than the frame itself.
function copyRow(
  from: Float32Array,
  fromOffset: number,
  to: Float32Array,
  toOffset: number,
  length: number,
): void {
  for (let i = 0; i < length; i++) to[toOffset + i] = from[fromOffset + i];
}

/** Frames of one window whose analysis span reaches into the reflect padding; the rest stay zero. */
function logMelOfEdgeFrames(samples: Float32Array, config: FeatureConfig, plan: Plan): LogMelSpectrogram {
  const n = samples.length;
  const half = config.nFft / 2;
  if (n <= half)
    throw new RangeError(`log-mel needs more than ${half} samples for reflect padding, got ${n}`);
  const halfWindow = plan.windowOffset - half;
  const span = new Float32Array(plan.window.length);
  const frames = frameCount(n, config);
  const data = new Float32Array(frames * config.nMels);
  for (let t = 0; t < frames; t++) {
    const firstSample = t * config.hopLength + halfWindow;
    if (firstSample >= 0 && firstSample + span.length <= n) continue;
    for (let i = 0; i < span.length; i++) span[i] = samples[reflectIndex(firstSample + i, n)];
    computeFrame(plan, config, span, 0, data, t * config.nMels);
  }
  return { data, frames, mels: config.nMels };
}

/** numpy.pad(mode='reflect') index for positions up to one signal length outside [0, n). */
function reflectIndex(index: number, n: number): number {
  if (index < 0) return -index;
  if (index >= n) return 2 * (n - 1) - index;
  return index;
}

/**
 * One frame: Hann-windowed span source[spanStart .. spanStart + winLength) -> ln(mel power + offset),
 * or mel power + offset itself when `linear`.
 */
function computeFrame(
  plan: Plan,
  config: FeatureConfig,
  source: Float32Array,
  spanStart: number,
  out: Float32Array | Float64Array,
  outOffset: number,
  linear = false,
): void {
  const { fft, window, windowOffset, bands, frameInput, spectrum, power } = plan;
  const windowLength = window.length;
  for (let i = 0; i < windowLength; i++) frameInput[windowOffset + i] = source[spanStart + i] * window[i];
  fft.realTransform(spectrum, frameInput);
  const { firstBin, offset, weights, lowBin, highBin } = bands;
  for (let k = lowBin; k < highBin; k++) {
    const re = spectrum[2 * k];
    const im = spectrum[2 * k + 1];
    power[k] = re * re + im * im;
  }
  const nMels = config.nMels;
  const logOffset = config.logOffset;
  for (let m = 0; m < nMels; m++) {
    const end = offset[m + 1];
    let sum = 0;
    for (let j = offset[m], k = firstBin[m]; j < end; j++, k++) sum += weights[j] * power[k];
    out[outOffset + m] = linear ? sum + logOffset : Math.log(sum + logOffset);
  }
}

/**
 * Two Hann-windowed spans source[startA ..) and source[startB ..) -> mel power + offset into out at
 * offsetA and offsetB. With z = a + i b, Z = FFT(z): A[k] = (Z[k] + conj Z[N-k]) / 2 and
 * B[k] = (Z[k] - conj Z[N-k]) / 2i, because a and b are real.
 */
function computeFramePair(
  plan: Plan,
  config: FeatureConfig,
  source: Float32Array,
  startA: number,
  startB: number,
  out: Float64Array,
  offsetA: number,
  offsetB: number,
): void {
  const { fft, window, windowOffset, bands, pairInput, pairSpectrum, power, secondPower } = plan;
  const windowLength = window.length;
  for (let i = 0, j = 2 * windowOffset; i < windowLength; i++, j += 2) {
    pairInput[j] = source[startA + i] * window[i];
    pairInput[j + 1] = source[startB + i] * window[i];
  }
  fft.transform(pairSpectrum, pairInput);
  const n = config.nFft;
  const { firstBin, offset, weights, lowBin, highBin } = bands;
  for (let k = lowBin; k < highBin; k++) {
    const mirror = 2 * ((n - k) % n);
    const zr = pairSpectrum[2 * k];
    const zi = pairSpectrum[2 * k + 1];
    const wr = pairSpectrum[mirror];
    const wi = pairSpectrum[mirror + 1];
    const ar = zr + wr;
    const ai = zi - wi;
    const br = zi + wi;
    const bi = wr - zr;
    power[k] = 0.25 * (ar * ar + ai * ai);
    secondPower[k] = 0.25 * (br * br + bi * bi);
  }
  const { nMels, logOffset } = config;
  for (let m = 0; m < nMels; m++) {
    const end = offset[m + 1];
    let sumA = 0;
    let sumB = 0;
    for (let j = offset[m], k = firstBin[m]; j < end; j++, k++) {
      sumA += weights[j] * power[k];
      sumB += weights[j] * secondPower[k];
    }
    out[offsetA + m] = sumA + logOffset;
    out[offsetB + m] = sumB + logOffset;
  }
}

function planFor(config: FeatureConfig): Plan {
  const key = JSON.stringify(config);
  const cached = plans.get(key);
  if (cached) return cached;
  const { sampleRate, nFft, winLength, nMels, fMin, fMax } = config;
  if (nFft & (nFft - 1) || nFft < 4) throw new RangeError(`nFft must be a power of two, got ${nFft}`);
  if (winLength > nFft) throw new RangeError(`winLength ${winLength} exceeds nFft ${nFft}`);
  // Periodic Hann (scipy get_window('hann', N, fftbins=True)), as librosa uses.
  const window = Float64Array.from(
    { length: winLength },
    (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / winLength),
  );
  const bands = packBands(melFilterbank({ sampleRate, nFft, nMels, fMin, fMax }).map(toSparseBand));
  const wasm = wasmMelPowerServes(nFft)
    ? wasmMelPowerPlan({ nFft, window, ...bands, nMels, logOffset: config.logOffset })
    : undefined;
  const plan: Plan = {
    fft: new FFT(nFft),
    window,
    windowOffset: Math.floor((nFft - winLength) / 2),
    bands,
    frameInput: new Float64Array(nFft),
    spectrum: new Float64Array(2 * nFft),
    power: new Float64Array(nFft / 2 + 1),
    pairInput: new Float64Array(2 * nFft),
    pairSpectrum: new Float64Array(2 * nFft),
    secondPower: new Float64Array(nFft / 2 + 1),
    wasm,
  };
  plans.set(key, plan);
  return plan;
}

function packBands(bands: readonly SparseBand[]): PackedBands {
  const firstBin = new Int32Array(bands.length);
  const offset = new Int32Array(bands.length + 1);
  let lowBin = Infinity;
  let highBin = 0;
  bands.forEach((band, m) => {
    firstBin[m] = band.firstBin;
    offset[m + 1] = offset[m] + band.weights.length;
    if (band.weights.length > 0) {
      lowBin = Math.min(lowBin, band.firstBin);
      highBin = Math.max(highBin, band.firstBin + band.weights.length);
    }
  });
  const weights = new Float64Array(offset[bands.length]);
  bands.forEach((band, m) => weights.set(band.weights, offset[m]));
  return { firstBin, offset, weights, lowBin: Math.min(lowBin, highBin), highBin };
}

function toSparseBand(weights: Float64Array): SparseBand {
  const first = weights.findIndex((w) => w > 0);
  if (first < 0) return { firstBin: 0, weights: new Float64Array(0) };
  let last = weights.length - 1;
  while (weights[last] === 0) last--;
  return { firstBin: first, weights: weights.slice(first, last + 1) };
}

/** numpy.pad(mode='reflect'): mirrored around the edge sample, which is not repeated. */
function reflectPad(samples: Float32Array, padding: number): Float32Array {
  const n = samples.length;
  const padded = new Float32Array(n + 2 * padding);
  for (let i = 0; i < padding; i++) padded[padding - 1 - i] = samples[i + 1];
  for (let i = 0; i < n; i++) padded[padding + i] = samples[i];
  for (let i = 0; i < padding; i++) padded[padding + n + i] = samples[n - 2 - i];
  return padded;
}
