// The feature path's WebAssembly kernels (wasm/dsp-kernels.c), where the runtime has WebAssembly SIMD;
// callers keep their JavaScript path for everything else. The mel power spectrogram's frames (float64
// FFT with 128-bit SIMD, two real frames per complex FFT, for FFT sizes that are powers of four) equal
// the JavaScript path's to rounding (~1e-15 relative); the segmentation's duration decoding
// (wasmDecodeDurations) does the JavaScript's arithmetic in the same order, so it equals it exactly.

import { alignTo16, compileEmbeddedWasm, growMemoryTo } from '../embedded-wasm';
import { DSP_KERNELS_WASM_BASE64 } from './wasm/dsp-kernels-bytes';

type MelPowerExports = {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  condition_signal(
    samples: number,
    n: number,
    pad: number,
    sections: number,
    gain: number,
    k: number,
    clip: number,
    extended: number,
    magnitudes: number,
    out: number,
  ): number;
  hsmm_decode(
    emission: number,
    frames: number,
    shortest: number,
    longest: number,
    logProbability: number,
    span: number,
    firstSegment: number,
    cumulative: number,
    best: number,
    duration: number,
  ): void;
  mel_power(
    source: number,
    frames: number,
    first: number,
    hop: number,
    winLength: number,
    window: number,
    n: number,
    twiddles: number,
    at: number,
    mirror: number,
    lowBin: number,
    highBin: number,
    nMels: number,
    firstBin: number,
    offset: number,
    weights: number,
    logOffset: number,
    out: number,
  ): void;
};

/** What the module needs of an analysis: see log-mel.ts's Plan. */
export type MelPowerAnalysis = {
  readonly nFft: number;
  readonly window: Float64Array;
  readonly lowBin: number;
  readonly highBin: number;
  readonly firstBin: Int32Array;
  readonly offset: Int32Array;
  readonly weights: Float64Array;
  readonly nMels: number;
  readonly logOffset: number;
};

/** An analysis whose tables were copied into the module's memory. */
export type WasmMelPowerPlan = { readonly analysis: MelPowerAnalysis; readonly pointers: Int32Array };

const MAX_FFT = 4096;
let melPowerModule: MelPowerExports | null | undefined;
/** End of the tables laid out so far; each call's signal and output go after it. */
let tablesEnd = 0;

function loaded(): MelPowerExports | null {
  if (melPowerModule === undefined) {
    const compiled = compileEmbeddedWasm(DSP_KERNELS_WASM_BASE64);
    melPowerModule = compiled
      ? (new WebAssembly.Instance(compiled, {}).exports as unknown as MelPowerExports)
      : null;
    if (melPowerModule) tablesEnd = alignTo16(melPowerModule.__heap_base.value as number);
  }
  return melPowerModule;
}

/** Whether the module can compute frames of this FFT size (a power of four up to 4096). */
export function wasmMelPowerServes(nFft: number): boolean {
  return (
    nFft >= 16 &&
    nFft <= MAX_FFT &&
    (nFft & (nFft - 1)) === 0 &&
    Math.log2(nFft) % 2 === 0 &&
    loaded() !== null
  );
}

/** Copies an analysis' tables (window, twiddles, bin positions, mel bands) into the module's memory. */
export function wasmMelPowerPlan(analysis: MelPowerAnalysis): WasmMelPowerPlan {
  const exports = loaded();
  if (!exports) throw new Error('WebAssembly SIMD is not available');
  const { nFft, window, firstBin, offset, weights } = analysis;
  const twiddles = twiddleTable(nFft);
  const position = digitReversedPositions(nFft);
  const at = Int32Array.from({ length: nFft / 2 + 1 }, (_, k) => position[k]);
  const mirror = Int32Array.from({ length: nFft / 2 + 1 }, (_, k) => position[(nFft - k) % nFft]);
  const tables = [window, twiddles, at, mirror, firstBin, offset, weights];
  const pointers = new Int32Array(tables.length);
  let at0 = tablesEnd;
  tables.forEach((table, i) => {
    pointers[i] = at0;
    at0 = alignTo16(at0 + table.byteLength);
  });
  growMemoryTo(exports.memory, at0);
  tables.forEach((table, i) =>
    new Uint8Array(exports.memory.buffer, pointers[i], table.byteLength).set(
      new Uint8Array(table.buffer, table.byteOffset, table.byteLength),
    ),
  );
  tablesEnd = at0;
  return { analysis, pointers };
}

/**
 * Frames t < frames of `samples` reflect-padded by `padding` on each side (numpy's mode 'reflect'; frame
 * t's window starting at padded[first + t hop]): mel power + logOffset, frame-major, into a new array.
 * The padded signal is written straight into the module's memory.
 */
export function wasmMelPower(
  plan: WasmMelPowerPlan,
  samples: Float32Array,
  padding: number,
  frames: number,
  first: number,
  hop: number,
): Float64Array {
  const exports = loaded()!;
  const { analysis, pointers } = plan;
  const source = tablesEnd;
  const n = samples.length;
  const out = alignTo16(source + 4 * (n + 2 * padding));
  const values = frames * analysis.nMels;
  growMemoryTo(exports.memory, out + values * 8);
  const padded = new Float32Array(exports.memory.buffer, source, n + 2 * padding);
  for (let i = 0; i < padding; i++) padded[padding - 1 - i] = samples[i + 1];
  padded.set(samples, padding);
  for (let i = 0; i < padding; i++) padded[padding + n + i] = samples[n - 2 - i];
  const [window, twiddles, at, mirror, firstBin, offset, weights] = pointers;
  exports.mel_power(
    source,
    frames,
    first,
    hop,
    analysis.window.length,
    window,
    analysis.nFft,
    twiddles,
    at,
    mirror,
    analysis.lowBin,
    analysis.highBin,
    analysis.nMels,
    firstBin,
    offset,
    weights,
    analysis.logOffset,
    out,
  );
  return new Float64Array(exports.memory.buffer, out, values).slice();
}

/** Whether the kernels load here (WebAssembly SIMD). */
export function wasmKernelsAvailable(): boolean {
  return loaded() !== null;
}

/**
 * The forward pass of heart-sound-segmentation.ts's decodeStates: per frame t (0..frames) and state j,
 * the best score of a segment of state j ending at t and its duration, [t * 4 + j].
 */
export function wasmDecodeDurations(
  emission: Float64Array,
  shortest: readonly number[],
  longest: readonly number[],
  logProbability: readonly Float64Array[],
  firstSegment: number,
): { best: Float64Array; bestDuration: Int32Array } {
  const exports = loaded();
  if (!exports) throw new Error('WebAssembly SIMD is not available');
  const frames = emission.length / 4;
  const span = logProbability[0].length;
  const cells = (frames + 1) * 4;
  let end = tablesEnd;
  const place = (bytes: number): number => {
    const at = end;
    end = alignTo16(end + bytes);
    return at;
  };
  const emissionAt = place(emission.byteLength);
  const shortestAt = place(16);
  const longestAt = place(16);
  const logProbabilityAt = place(4 * span * 8);
  const cumulativeAt = place(cells * 8);
  const bestAt = place(cells * 8);
  const durationAt = place(cells * 4);
  growMemoryTo(exports.memory, end);
  const { buffer } = exports.memory;
  new Float64Array(buffer, emissionAt, emission.length).set(emission);
  new Int32Array(buffer, shortestAt, 4).set(shortest);
  new Int32Array(buffer, longestAt, 4).set(longest);
  logProbability.forEach((row, j) =>
    new Float64Array(buffer, logProbabilityAt + j * span * 8, span).set(row),
  );
  exports.hsmm_decode(
    emissionAt,
    frames,
    shortestAt,
    longestAt,
    logProbabilityAt,
    span,
    firstSegment,
    cumulativeAt,
    bestAt,
    durationAt,
  );
  return {
    best: new Float64Array(exports.memory.buffer, bestAt, cells).slice(),
    bestDuration: new Int32Array(exports.memory.buffer, durationAt, cells).slice(),
  };
}

/** The band-pass of conditionSignal: five unit-numerator sections (b1, a1, a2) and their gain. */
export type FiveSectionBandPass = {
  readonly sections: readonly { readonly b1: number; readonly a1: number; readonly a2: number }[];
  readonly gain: number;
};

/**
 * condition.ts's conditionSignal (samples.length >= 2, five band-pass sections, reflection by `pad`,
 * the k-th smallest magnitude as the scale), with the same arithmetic, so the same float32 values;
 * undefined when a filtered sample is not finite, for the caller's own path to handle.
 */
export function wasmConditionSignal(
  samples: Float32Array,
  pad: number,
  bandPass: FiveSectionBandPass,
  k: number,
  clip: number,
): Float32Array | undefined {
  const exports = loaded();
  if (!exports) throw new Error('WebAssembly SIMD is not available');
  const n = samples.length;
  let end = tablesEnd;
  const place = (bytes: number): number => {
    const at = end;
    end = alignTo16(end + bytes);
    return at;
  };
  const samplesAt = place(4 * n);
  const sectionsAt = place(8 * 3 * 5);
  const extendedAt = place(8 * (n + 2 * pad));
  const magnitudesAt = place(4 * n);
  const outAt = place(4 * n);
  growMemoryTo(exports.memory, end);
  const { buffer } = exports.memory;
  new Float32Array(buffer, samplesAt, n).set(samples);
  new Float64Array(buffer, sectionsAt, 15).set(bandPass.sections.flatMap(({ b1, a1, a2 }) => [b1, a1, a2]));
  const notFinite = exports.condition_signal(
    samplesAt,
    n,
    pad,
    sectionsAt,
    bandPass.gain,
    k,
    clip,
    extendedAt,
    magnitudesAt,
    outAt,
  );
  return notFinite ? undefined : new Float32Array(exports.memory.buffer, outAt, n).slice();
}

/** Per radix-4 stage of block length > 4, per butterfly i, W^i, W^2i, W^3i as (c, c) and (s, -s). */
function twiddleTable(n: number): Float64Array {
  const values: number[] = [];
  for (let length = n; length > 4; length /= 4)
    for (let i = 0; i < length / 4; i++)
      for (let p = 1; p <= 3; p++) {
        const angle = (2 * Math.PI * p * i) / length;
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        values.push(c, c, s, -s);
      }
  return Float64Array.from(values);
}

/** Where the radix-4 DIF FFT leaves frequency f: f's base-4 digits reversed. */
function digitReversedPositions(n: number): Int32Array {
  const digits = Math.log2(n) / 2;
  return Int32Array.from({ length: n }, (_, f) => {
    let position = 0;
    for (let d = 0, rest = f; d < digits; d++, rest >>= 2) position = (position << 2) | (rest & 3);
    return position;
  });
}
