// FFT packages on our frame: the 64-ms heart-sound spectrogram of models 1.4.0+ (a 128-sample Hann
// window centred in a 256-point real FFT, every 20 ms at 2 kHz, 32 mel bands 25-400 Hz), which is
// most of the feature path's FFT work. Each candidate computes the same frames of real recordings
// (decoded and conditioned as the screener does); the bench prints the cost per frame of the FFT
// alone and of the whole frame (window + FFT + power + mel + log), and how far each one's log-mel
// lies from fft.js's (float64, the reference the shipped models were trained with).
//   npm exec -- node -r @swc-node/register bench/fft-compare.ts [--limit 100] [--rounds 3]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import FFT from 'fft.js';
import { decodeAudio, heartSoundSpectrogramConfig, melFilterbank, prepareSignal } from '@heartbeat/audio';
import {
  melPowerSpectrogram,
  melPowerSpectrogramInJavaScript,
  melPowerSpectrogramOneFftPerFrame,
} from '../libs/audio/src/features/log-mel';
import { machineLoad } from './process-cpu';

const args = process.argv.slice(2);
const valueOf = (flag: string) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
const LIMIT = Number(valueOf('--limit') ?? 100);
const ROUNDS = Number(valueOf('--rounds') ?? 3);
const DATA = join(__dirname, '..', '..', 'shared', 'data', 'physionet2016');

const config = heartSoundSpectrogramConfig(128);
const N = config.nFft;
const HALF_WINDOW = config.winLength / 2;
const OFFSET = (N - config.winLength) / 2;
const hann = Float64Array.from(
  { length: config.winLength },
  (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / config.winLength),
);
const bands = melFilterbank({
  sampleRate: config.sampleRate,
  nFft: N,
  nMels: config.nMels,
  fMin: config.fMin,
  fMax: config.fMax,
});
const firstBin = bands.map((w) => w.findIndex((x) => x > 0));
const lastBin = bands.map((w) => w.length - 1 - [...w].reverse().findIndex((x) => x > 0));
const LOW = Math.min(...firstBin);
const HIGH = Math.max(...lastBin) + 1;

/** A real FFT of the 256-point frame in `input` (only [OFFSET, OFFSET + winLength) non-zero) into power[LOW..HIGH). */
type Candidate = {
  name: string;
  precision: string;
  power: (input: Float64Array, power: Float64Array) => void;
};

async function candidates(): Promise<Candidate[]> {
  const list: Candidate[] = [];
  const reference = new FFT(N);
  const spectrum = reference.createComplexArray() as number[];
  const spectrum64 = new Float64Array(2 * N);
  list.push({
    name: 'fft.js 4.0.4 realTransform (current)',
    precision: 'float64',
    power(input, power) {
      reference.realTransform(spectrum64, input);
      for (let k = LOW; k < HIGH; k++) power[k] = spectrum64[2 * k] ** 2 + spectrum64[2 * k + 1] ** 2;
    },
  });
  void spectrum;

  // PFFFT (SIMD build): ordered real transform, output [r0, r(N/2), r1, i1, r2, i2, ...], float32.
  const pffftModule = (await import('@echogarden/pffft-wasm/simd' as string)) as {
    default: () => Promise<PffftModule>;
  };
  const pffft = await pffftModule.default();
  const setup = pffft._pffft_new_setup(N, 0);
  const inPtr = pffft._pffft_aligned_malloc(N * 4);
  const outPtr = pffft._pffft_aligned_malloc(N * 4);
  const workPtr = pffft._pffft_aligned_malloc(N * 4);
  list.push({
    name: '@echogarden/pffft-wasm 0.4.2 (SIMD)',
    precision: 'float32',
    power(input, power) {
      const heap = pffft.HEAPF32;
      const inAt = inPtr >> 2;
      for (let i = 0; i < N; i++) heap[inAt + i] = input[i];
      pffft._pffft_transform_ordered(setup, inPtr, outPtr, workPtr, 0);
      const outAt = outPtr >> 2;
      for (let k = LOW; k < HIGH; k++) power[k] = heap[outAt + 2 * k] ** 2 + heap[outAt + 2 * k + 1] ** 2;
    },
  });

  // KissFFT: a real-FFT config working on arrays that live in its wasm memory (views, no copies out).
  // Its 2021 Emscripten glue fetch()es the .wasm by file path when a global fetch exists (Node >= 18)
  // and fails: hidden while it loads.
  const fetchOfNode = globalThis.fetch;
  (globalThis as { fetch?: unknown }).fetch = undefined;
  const kiss = (await import('kissfft-wasm' as string)) as KissModule;
  await (
    (await import('kissfft-wasm/lib/wasm' as string)) as { waitLoading: () => Promise<void> }
  ).waitLoading();
  globalThis.fetch = fetchOfNode;
  const kissConfig = new kiss.RealFFTConfig(N, false);
  const kissIn = new kiss.RealArray(N);
  const kissOut = new kiss.ComplexArray(N); // it checks for nfft values; kiss_fftr fills the first N/2 + 1
  list.push({
    name: 'kissfft-wasm 1.1.2 RealFFTConfig',
    precision: 'float32',
    power(input, power) {
      const view = kissIn.asFloat32Array();
      for (let i = 0; i < N; i++) view[i] = input[i];
      kissConfig.work(kissIn, kissOut);
      const out = kissOut.asFloat32Array();
      for (let k = LOW; k < HIGH; k++) power[k] = out[2 * k] ** 2 + out[2 * k + 1] ** 2;
    },
  });

  const fourier = (await import('fourier-transform' as string)) as {
    fft: (input: Float64Array, output?: [Float64Array, Float64Array]) => [Float64Array, Float64Array];
  };
  const split: [Float64Array, Float64Array] = [new Float64Array(N / 2 + 1), new Float64Array(N / 2 + 1)];
  list.push({
    name: 'fourier-transform 2.5.0 fft (JS)',
    precision: 'float64',
    power(input, power) {
      const [re, im] = fourier.fft(input, split);
      for (let k = LOW; k < HIGH; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    },
  });
  return list;
}

type PffftModule = {
  HEAPF32: Float32Array;
  _pffft_new_setup(n: number, kind: number): number;
  _pffft_aligned_malloc(bytes: number): number;
  _pffft_transform_ordered(
    setup: number,
    input: number,
    output: number,
    work: number,
    direction: number,
  ): void;
};
type KissArray = { asFloat32Array(): Float32Array };
type KissModule = {
  wasmKissFFT: unknown;
  RealFFTConfig: new (n: number, inverse: boolean) => { work(input: KissArray, output: KissArray): void };
  RealArray: new (n: number) => KissArray;
  ComplexArray: new (n: number) => KissArray;
};

async function conditionedSignals(): Promise<Float32Array[]> {
  const files = readdirSync(DATA)
    .filter((d) => d.startsWith('training-'))
    .flatMap((d) =>
      readdirSync(join(DATA, d))
        .filter((f) => f.endsWith('.flac'))
        .map((f) => join(DATA, d, f)),
    )
    .sort();
  const step = Math.max(1, Math.floor(files.length / LIMIT));
  const chosen = files.filter((_, i) => i % step === 0).slice(0, LIMIT);
  return Promise.all(chosen.map(async (file) => prepareSignal(await decodeAudio(readFileSync(file)))));
}

/** Every interior frame (no reflect padding) of every signal through `candidate`; returns log-mel rows. */
function run(
  candidate: Candidate,
  signals: Float32Array[],
  keep: boolean,
  fftOnly: boolean,
): { ms: number; frames: number; rows: Float64Array[] } {
  const input = new Float64Array(N);
  const power = new Float64Array(N / 2 + 1);
  const rows: Float64Array[] = [];
  let frames = 0;
  const started = process.cpuUsage();
  for (const signal of signals) {
    for (let centre = HALF_WINDOW; centre + HALF_WINDOW <= signal.length; centre += config.hopLength) {
      for (let i = 0; i < config.winLength; i++)
        input[OFFSET + i] = signal[centre - HALF_WINDOW + i] * hann[i];
      candidate.power(input, power);
      frames++;
      if (fftOnly) continue;
      const row = keep ? new Float64Array(config.nMels) : undefined;
      for (let m = 0; m < config.nMels; m++) {
        const w = bands[m];
        let sum = 0;
        for (let k = firstBin[m]; k <= lastBin[m]; k++) sum += w[k] * power[k];
        const value = Math.log(sum + config.logOffset);
        if (row) row[m] = value;
      }
      if (row) rows.push(row);
    }
  }
  const cpu = process.cpuUsage(started);
  return { ms: (cpu.user + cpu.system) / 1000, frames, rows };
}

async function main(): Promise<void> {
  const load = machineLoad();
  const signals = await conditionedSignals();
  const list = await candidates();
  const reference = run(list[0], signals, true, false).rows;
  const report: Record<string, unknown>[] = [];
  for (const candidate of list) {
    const rows = run(candidate, signals, true, false).rows;
    let maxDiff = 0;
    rows.forEach((row, i) =>
      row.forEach((v, m) => (maxDiff = Math.max(maxDiff, Math.abs(v - reference[i][m])))),
    );
    const fftUs: number[] = [];
    const frameUs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Interleaved with the other candidates' rounds by the caller's order: noise hits all alike.
      const f = run(candidate, signals, false, true);
      fftUs.push((f.ms * 1000) / f.frames);
      const w = run(candidate, signals, false, false);
      frameUs.push((w.ms * 1000) / w.frames);
    }
    report.push({
      candidate: candidate.name,
      precision: candidate.precision,
      fftAndPowerUsPerFrame: Math.min(...fftUs).toFixed(2),
      wholeFrameUsPerFrame: Math.min(...frameUs).toFixed(2),
      maxLogMelDifferenceFromFftJs: maxDiff.toExponential(2),
      within1e5: maxDiff <= 1e-5,
    });
  }
  // What was adopted: two real frames per complex FFT, in WebAssembly SIMD (melPowerSpectrogram,
  // wasm/dsp-kernels.c) and with fft.js (melPowerSpectrogramInJavaScript, where WebAssembly SIMD is
  // missing), against one real FFT per frame (the reference), interleaved rounds over the same signals.
  const audioSec = signals.reduce((sum, signal) => sum + signal.length / config.sampleRate, 0);
  const usPerAudioSecond = (fn: typeof melPowerSpectrogram) => {
    const started = process.cpuUsage();
    for (const signal of signals) fn(signal, config);
    const cpu = process.cpuUsage(started);
    return (cpu.user + cpu.system) / audioSec;
  };
  const wasm: number[] = [];
  const paired: number[] = [];
  const single: number[] = [];
  for (let r = 0; r < 2 * ROUNDS + 1; r++) {
    wasm.push(usPerAudioSecond(melPowerSpectrogram));
    paired.push(usPerAudioSecond(melPowerSpectrogramInJavaScript));
    single.push(usPerAudioSecond(melPowerSpectrogramOneFftPerFrame));
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)].toFixed(1);
  console.log(
    JSON.stringify(
      {
        recordings: signals.length,
        frames: reference.length,
        rounds: ROUNDS,
        cpuTimeOnly: true,
        loadBefore: load,
        loadAfter: machineLoad(),
      },
      null,
      1,
    ),
  );
  console.table(report);
  console.log(
    JSON.stringify({
      heartSoundSpectrogramUsCpuPerAudioSecond: {
        twoFramesPerComplexFftWasmSimd: { median: median(wasm), min: Math.min(...wasm).toFixed(1) },
        twoFramesPerComplexFft: { median: median(paired), min: Math.min(...paired).toFixed(1) },
        oneRealFftPerFrame: { median: median(single), min: Math.min(...single).toFixed(1) },
      },
    }),
  );
}

void main();
