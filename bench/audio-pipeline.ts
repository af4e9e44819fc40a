// Throughput of the whole feature path (decode -> resample -> condition -> windows -> log-mel, and the
// heart-cycle segmentation + features of model versions with a heart-cycle model) over the
// shared PhysioNet 2016 FLAC files, on one core. Files are read into memory first: disk is not measured.
// Three passes over every recording: the whole path untimed inside, twice (the second gives the wall
// time, CPU time and real-time factor: the steady state; the first is printed beside it), then one
// timed stage by stage (the stage lines). `npm run bench:features` gives node the heap setting the
// product screens with (--initial-old-space-size=128, as the CLI's screening threads and the inference
// worker's model processes have it): without it, V8 collects the old space far more often here.
//
//   npm exec -- node -r @swc-node/register bench/audio-pipeline.ts [--limit N] [--data DIR] [--input compact] [--heart-sound-window 80|128]
//
// --input compact: the log-mel of models 1.2.0 and later (32 bands, 40-ms hop; default: 1.0.0/1.1.0's).
// --heart-sound-window 128 with --input compact: the 64-ms heart-sound spectrogram (model 1.4.0's)
// is computed first and the windows' log-mel reads its frames, as the screener does.
// --against-reference R: instead, R rounds alternating the whole path with the current code and with
// the code before issue 28's speed-ups (libs/audio/test/reference; decoding is shared), in one process
// on the same decoded bytes, so both see the same machine load; prints each round's CPU per audio-second.
// --check-flac: instead, decodes every recording with our FLAC decoder and with libFLAC's
// (@audio/decode-flac + mixToMono, the path before it) and prints how many differ in any bit (must be 0),
// how many our decoder declined (they take libFLAC's path), and each decoder's CPU per audio-second.
// --digest: instead, prints a SHA-256 of each stage's output (decoded samples, prepared signal, the
// windows' log-mel with and without the shared spectrogram, heart-cycle features) over the recordings:
// run it in two checkouts (this file copied into the older one) to show that a change leaves every
// stage's output the same to the bit.

import { createHash, type Hash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeAudio,
  DEFAULT_FEATURE_CONFIG,
  type FeatureConfig,
  framesServe,
  heartCycleFeatures,
  heartSoundSpectrogram,
  type HeartSoundWindowLength,
  logMelSpectrogramsOfWindows,
  MODEL_SAMPLE_RATE,
  prepareSignal,
  segmentIntoWindows,
} from '@heartbeat/audio';
import { COMPACT_MODEL_INPUT } from '@heartbeat/model';
import type * as FlacHeader from '../libs/audio/src/decode/flac-header';
import type * as FlacToMono from '../libs/audio/src/decode/flac-to-mono';
import type * as DecodeLimits from '../libs/audio/src/decode/limits';
import type * as ReferenceFlac from '../libs/audio/test/reference/flac-decode';
import { prepareSignal as referencePrepareSignal } from '../libs/audio/test/reference/condition';
import { heartCycleFeatures as referenceHeartCycleFeatures } from '../libs/audio/test/reference/heart-cycle-features';
import { heartSoundSpectrogram as referenceHeartSoundSpectrogram } from '../libs/audio/test/reference/heart-sound-segmentation';
import { logMelSpectrogramsOfWindows as referenceLogMelSpectrogramsOfWindows } from '../libs/audio/test/reference/log-mel';

const DEFAULT_DATA_DIR = '/work/shared/data/physionet2016';
const WARM_UP_RECORDINGS = 5;

type Stage = 'decode' | 'prepare' | 'windows' | 'heartSoundSpectrogram' | 'logMel' | 'heartCycles';
const STAGES: readonly Stage[] = [
  'decode',
  'prepare',
  'windows',
  'heartSoundSpectrogram',
  'logMel',
  'heartCycles',
];

type Options = {
  limit: number;
  dataDir: string;
  logMel: FeatureConfig;
  heartSoundWindow: HeartSoundWindowLength;
  againstReference: number;
  checkFlac: boolean;
  digest: boolean;
};

function parseArguments(argv: readonly string[]): Options {
  const valueOf = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const limit = Number(valueOf('--limit') ?? Infinity);
  if (!(limit > 0)) throw new Error('--limit must be a positive number');
  const heartSoundWindow = Number(valueOf('--heart-sound-window') ?? 80) as HeartSoundWindowLength;
  const logMel =
    valueOf('--input') === 'compact' ? COMPACT_MODEL_INPUT.featureConfig : DEFAULT_FEATURE_CONFIG;
  const againstReference = Number(valueOf('--against-reference') ?? 0);
  return {
    limit,
    dataDir: valueOf('--data') ?? DEFAULT_DATA_DIR,
    logMel,
    heartSoundWindow,
    againstReference,
    checkFlac: argv.includes('--check-flac'),
    digest: argv.includes('--digest'),
  };
}

function listRecordings(dataDir: string, limit: number): string[] {
  const files = readdirSync(dataDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('training-'))
    .flatMap((entry) =>
      readdirSync(join(dataDir, entry.name))
        .filter((name) => name.endsWith('.flac'))
        .map((name) => join(dataDir, entry.name, name)),
    )
    .sort();
  return files.slice(0, Math.min(files.length, limit));
}

/** This process's CPU time (user + system, all threads: the garbage collector's helpers too). */
function cpuMicroseconds(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function runPipeline(
  bytes: Uint8Array,
  stageMs: Record<Stage, number>,
  stageCpuMs: Record<Stage, number>,
  options: Options,
): Promise<{ audioSec: number; windows: number }> {
  let mark = performance.now();
  let cpuMark = cpuMicroseconds();
  const lap = (stage: Stage): void => {
    const now = performance.now();
    const cpuNow = cpuMicroseconds();
    stageMs[stage] += now - mark;
    stageCpuMs[stage] += (cpuNow - cpuMark) / 1000;
    mark = now;
    cpuMark = cpuNow;
  };
  const decoded = await decodeAudio(bytes);
  lap('decode');
  const signal = prepareSignal(decoded);
  lap('prepare');
  const windows = segmentIntoWindows(signal, { sampleRate: MODEL_SAMPLE_RATE });
  lap('windows');
  const spectrogram = heartSoundSpectrogram(signal, options.heartSoundWindow);
  lap('heartSoundSpectrogram');
  const shared = framesServe(spectrogram, options.logMel, signal.length) ? spectrogram : undefined;
  logMelSpectrogramsOfWindows(signal, windows, options.logMel, shared);
  lap('logMel');
  heartCycleFeatures(signal, spectrogram);
  lap('heartCycles');
  return { audioSec: decoded.durationSec, windows: windows.length };
}

/** The whole path (as runPipeline, without the stage laps) with the current or the reference code. */
async function runWholePath(bytes: Uint8Array, options: Options, reference: boolean): Promise<number> {
  const decoded = await decodeAudio(bytes);
  const signal = (reference ? referencePrepareSignal : prepareSignal)(decoded);
  const windows = segmentIntoWindows(signal, { sampleRate: MODEL_SAMPLE_RATE });
  const spectrogram = (reference ? referenceHeartSoundSpectrogram : heartSoundSpectrogram)(
    signal,
    options.heartSoundWindow,
  );
  const shared = framesServe(spectrogram, options.logMel, signal.length) ? spectrogram : undefined;
  if (reference) {
    referenceLogMelSpectrogramsOfWindows(signal, windows, options.logMel, shared);
    referenceHeartCycleFeatures(signal, spectrogram);
  } else {
    logMelSpectrogramsOfWindows(signal, windows, options.logMel, shared);
    heartCycleFeatures(signal, spectrogram);
  }
  return decoded.durationSec;
}

async function compareWithReference(recordings: Uint8Array[], options: Options): Promise<void> {
  const rounds: { current: number; reference: number }[] = [];
  for (let round = 0; round <= options.againstReference; round++) {
    const usPerAudioSecond = { current: 0, reference: 0 };
    for (const variant of ['current', 'reference'] as const) {
      const started = cpuMicroseconds();
      let audioSec = 0;
      for (const bytes of recordings) audioSec += await runWholePath(bytes, options, variant === 'reference');
      usPerAudioSecond[variant] = (cpuMicroseconds() - started) / audioSec;
    }
    if (round > 0) rounds.push(usPerAudioSecond); // round 0 warms both up
    console.log(
      `round ${round}${round === 0 ? ' (warm-up)' : ''}: current ${usPerAudioSecond.current.toFixed(1)}, reference ${usPerAudioSecond.reference.toFixed(1)} us CPU per audio-second`,
    );
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const current = median(rounds.map((r) => r.current));
  const reference = median(rounds.map((r) => r.reference));
  console.log(
    `median            current ${current.toFixed(1)} us (${(1e6 / current).toFixed(0)}x real time per CPU-second), reference ${reference.toFixed(1)} us (${(1e6 / reference).toFixed(0)}x)`,
  );
}

/** Both FLAC decoders over every recording: differing samples (any bit), declines, CPU of each. */
async function checkFlacDecoder(recordings: Uint8Array[]): Promise<void> {
  // Loaded here (the type imports are erased), so that this file also runs (--digest) in a checkout
  // from before the decoder.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parseFlacStreamInfo } = require('../libs/audio/src/decode/flac-header') as typeof FlacHeader;
  const { decodeFlacToMono } = require('../libs/audio/src/decode/flac-to-mono') as typeof FlacToMono;
  const { DEFAULT_DECODE_LIMITS } = require('../libs/audio/src/decode/limits') as typeof DecodeLimits;
  const { referenceDecodeFlac } = require('../libs/audio/test/reference/flac-decode') as typeof ReferenceFlac;
  /* eslint-enable @typescript-eslint/no-require-imports */
  let mismatches = 0;
  let declined = 0;
  let audioSec = 0;
  let oursUs = 0;
  let libFlacUs = 0;
  for (const bytes of recordings) {
    const { totalFrames, sampleRate } = parseFlacStreamInfo(bytes, DEFAULT_DECODE_LIMITS);
    audioSec += totalFrames / sampleRate;
    let started = cpuMicroseconds();
    const ours = decodeFlacToMono(bytes, totalFrames);
    oursUs += cpuMicroseconds() - started;
    started = cpuMicroseconds();
    const reference = await referenceDecodeFlac(bytes);
    libFlacUs += cpuMicroseconds() - started;
    if (!ours) {
      declined++;
      continue;
    }
    const same =
      reference !== undefined &&
      reference.sampleRate === ours.sampleRate &&
      reference.samples.length === ours.samples.length &&
      new Uint32Array(reference.samples.buffer, reference.samples.byteOffset, reference.samples.length).every(
        (bits, i) =>
          bits === new Uint32Array(ours.samples.buffer, ours.samples.byteOffset, ours.samples.length)[i],
      );
    if (!same) mismatches++;
  }
  console.log(
    `recordings        ${recordings.length} (${(audioSec / 3600).toFixed(2)} h): ${mismatches} differ from libFLAC's samples in any bit, ${declined} declined (decoded by libFLAC instead)`,
  );
  console.log(
    `CPU per audio-s   ours ${(oursUs / audioSec).toFixed(1)} us, libFLAC ${(libFlacUs / audioSec).toFixed(1)} us (a fresh libFLAC decoder per file here; decodeAudio pools them)`,
  );
}

/** SHA-256 of every stage's output over the recordings, to compare two checkouts bit for bit. */
async function digestStages(recordings: Uint8Array[], options: Options): Promise<void> {
  const hashes = {
    decode: createHash('sha256'),
    prepare: createHash('sha256'),
    logMel: createHash('sha256'),
    heartCycles: createHash('sha256'),
  };
  const add = (hash: Hash, values: ArrayBufferView | null): void => {
    hash.update(values ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : 'null');
  };
  for (const bytes of recordings) {
    const decoded = await decodeAudio(bytes);
    add(hashes.decode, decoded.samples);
    const signal = prepareSignal(decoded);
    add(hashes.prepare, signal);
    const windows = segmentIntoWindows(signal, { sampleRate: MODEL_SAMPLE_RATE });
    const spectrogram = heartSoundSpectrogram(signal, options.heartSoundWindow);
    const shared = framesServe(spectrogram, options.logMel, signal.length) ? spectrogram : undefined;
    for (const logMel of logMelSpectrogramsOfWindows(signal, windows, options.logMel, shared))
      add(hashes.logMel, logMel.data);
    for (const logMel of logMelSpectrogramsOfWindows(signal, windows, options.logMel))
      add(hashes.logMel, logMel.data);
    add(hashes.heartCycles, heartCycleFeatures(signal, spectrogram));
  }
  for (const [stage, hash] of Object.entries(hashes))
    console.log(`${stage.padEnd(12)} ${hash.digest('hex')}`);
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const { limit, dataDir } = options;
  const paths = listRecordings(dataDir, limit);
  if (paths.length === 0) throw new Error(`no .flac files under ${dataDir}/training-*`);
  const recordings = paths.map((path) => new Uint8Array(readFileSync(path)));
  const encodedMb = recordings.reduce((sum, bytes) => sum + bytes.length, 0) / 1e6;
  if (options.againstReference > 0) return compareWithReference(recordings, options);
  if (options.checkFlac) return checkFlacDecoder(recordings);
  if (options.digest) return digestStages(recordings, options);

  const noTime = () => Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  const warmUpStages = noTime();
  for (const bytes of recordings.slice(0, WARM_UP_RECORDINGS))
    await runPipeline(bytes, warmUpStages, noTime(), options);

  // The whole path without the stage laps (they read both clocks around every stage, ~3 % of a CPU
  // profile's samples): a first pass over every recording, then a second, the steady state of a
  // process that screens thousands (the headline figures; later passes were faster still).
  const firstPassCpu = process.cpuUsage();
  for (const bytes of recordings) await runWholePath(bytes, options, false).catch(() => 0);
  const firstPass = process.cpuUsage(firstPassCpu);
  const firstPassCpuSec = (firstPass.user + firstPass.system) / 1e6;
  const wallStartWhole = performance.now();
  const cpuStartWhole = process.cpuUsage();
  for (const bytes of recordings) await runWholePath(bytes, options, false).catch(() => 0);
  const wallSec = (performance.now() - wallStartWhole) / 1000;
  const cpu = process.cpuUsage(cpuStartWhole);
  const cpuSec = (cpu.user + cpu.system) / 1e6;

  const stageMs = noTime();
  const stageCpuMs = noTime();
  let audioSec = 0;
  let windowCount = 0;
  let failures = 0;
  const cpuStart = process.cpuUsage();
  for (const bytes of recordings) {
    try {
      const result = await runPipeline(bytes, stageMs, stageCpuMs, options);
      audioSec += result.audioSec;
      windowCount += result.windows;
    } catch (error) {
      failures++;
      console.error(error instanceof Error ? error.message : error);
    }
  }
  const lappedCpu = process.cpuUsage(cpuStart);
  const lappedCpuSec = (lappedCpu.user + lappedCpu.system) / 1e6;

  console.log(
    `recordings        ${recordings.length} (${encodedMb.toFixed(1)} MB FLAC, ${(audioSec / 3600).toFixed(2)} h of audio, ${windowCount} windows, ${failures} failed)`,
  );
  console.log(`wall time         ${wallSec.toFixed(2)} s`);
  console.log(
    `CPU time          ${cpuSec.toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)} s, system ${(cpu.system / 1e6).toFixed(2)} s)`,
  );
  console.log(
    `recordings/s      ${(recordings.length / wallSec).toFixed(1)} (wall), ${(recordings.length / cpuSec).toFixed(1)} (per CPU-second)`,
  );
  console.log(
    `real-time factor  ${(audioSec / cpuSec).toFixed(0)}x audio seconds per CPU-second (${(audioSec / wallSec).toFixed(0)}x per wall second); first pass ${(audioSec / firstPassCpuSec).toFixed(0)}x, pass timed by stage ${(audioSec / lappedCpuSec).toFixed(0)}x`,
  );
  const stageLine = (times: Record<Stage, number>): string => {
    const total = Object.values(times).reduce((sum, ms) => sum + ms, 0);
    return (Object.entries(times) as [Stage, number][])
      .map(
        ([stage, ms]) =>
          `${stage} ${((100 * ms) / total).toFixed(0)}% (${((ms / audioSec) * 1000).toFixed(0)} us per audio-s)`,
      )
      .join(', ');
  };
  console.log(`stages (wall)     ${stageLine(stageMs)}`);
  // CPU read around each stage: on a busy machine the wall shares include time spent descheduled.
  console.log(`stages (CPU)      ${stageLine(stageCpuMs)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
