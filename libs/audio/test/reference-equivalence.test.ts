// The faster feature path (issue 28) against the code it replaced, kept in reference/ as it was: on
// real recordings and generated ones, every stage gives the reference's results within 1e-5 (the
// segmentation's states exactly), each stage fed by its own path so differences would add up.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  alignedHeartCycleFeatures,
  DEFAULT_FEATURE_CONFIG,
  decodeAudio,
  heartCycleFeatures,
  heartSoundSpectrogram,
  logMelSpectrogramsOfWindows,
  MODEL_SAMPLE_RATE,
  prepareSignal,
  segmentHeartSounds,
  segmentIntoWindows,
  type HeartSoundWindowLength,
} from '@heartbeat/audio';
import { prepareSignal as referencePrepareSignal } from './reference/condition';
import {
  alignedHeartCycleFeatures as referenceAlignedHeartCycleFeatures,
  heartCycleFeatures as referenceHeartCycleFeatures,
} from './reference/heart-cycle-features';
import {
  heartSoundSpectrogram as referenceHeartSoundSpectrogram,
  segmentHeartSounds as referenceSegmentHeartSounds,
} from './reference/heart-sound-segmentation';
import { logMelSpectrogramsOfWindows as referenceLogMelSpectrogramsOfWindows } from './reference/log-mel';

const TOLERANCE = 1e-5;
/** The compact CNN input's analysis (models 1.2.0 and later), whose frames the 64-ms heart-sound spectrogram holds. */
const COMPACT_CONFIG = { ...DEFAULT_FEATURE_CONFIG, hopLength: 80, nMels: 32, fMax: 400 };
const ROOT = join(__dirname, '..', '..', '..');

function recordingFiles(): string[] {
  const fixtures = join(__dirname, 'fixtures');
  const samples = join(ROOT, 'samples');
  return [
    ...['a0238.flac', 'b0225.flac', 'e01440.flac'].map((name) => join(fixtures, name)),
    ...readdirSync(samples, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) =>
        readdirSync(join(samples, entry.name))
          .filter((name) => name.endsWith('.flac'))
          .map((name) => join(samples, entry.name, name)),
      ),
  ];
}

/** Deterministic noise in [-1, 1). */
function noise(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 30 - 1;
  });
}

/** Heart-like bursts with a quiet stretch and a loud knock, at `rate` (what prepareSignal resamples). */
function generatedRecording(seconds: number, rate: number, seed: number): Float32Array {
  const signal = noise(Math.round(seconds * rate), seed).map((v) => 0.01 * v + 0.2);
  const beat = Math.round(0.8 * rate);
  for (let start = Math.round(0.1 * rate); start < signal.length; start += beat)
    for (const [offset, length, hz] of [
      [0, 0.1, 60],
      [0.3, 0.08, 90],
    ]) {
      const from = start + Math.round(offset * rate);
      const samples = Math.round(length * rate);
      for (let i = 0; i < samples && from + i < signal.length; i++)
        signal[from + i] += Math.sin((Math.PI * i) / samples) * Math.sin((2 * Math.PI * hz * i) / rate);
    }
  signal.fill(0.2, Math.round(0.4 * signal.length), Math.round(0.45 * signal.length));
  signal[Math.round(0.7 * signal.length)] = 40;
  return signal;
}

const maxAbsDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

const maxLogDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(Math.log(a[i]) - Math.log(b[i])));
  return worst;
};

type Case = { name: string; signal: () => Promise<{ samples: Float32Array; sampleRate: number }> };

const cases: Case[] = [
  ...recordingFiles().map((file) => ({
    name: file.slice(ROOT.length + 1),
    signal: () => decodeAudio(new Uint8Array(readFileSync(file))),
  })),
  {
    name: 'generated 31 s at 2 kHz',
    signal: async () => ({ samples: generatedRecording(31, 2000, 3), sampleRate: 2000 }),
  },
  {
    name: 'generated 12 s at 4 kHz',
    signal: async () => ({ samples: generatedRecording(12, 4000, 5), sampleRate: 4000 }),
  },
  {
    name: 'generated 7.3 s at 44.1 kHz',
    signal: async () => ({ samples: generatedRecording(7.3, 44_100, 9), sampleRate: 44_100 }),
  },
  {
    name: 'generated 3.1 s at 2 kHz (shorter than a window)',
    signal: async () => ({ samples: generatedRecording(3.1, 2000, 11), sampleRate: 2000 }),
  },
];

/**
 * Log-mel values of the end-to-end comparison: a conditioned sample that rounds to the neighbouring
 * float32 (a difference of ~6e-8) moves the log of a near-silent frame's band by ~1e-5.
 */
const CHAINED_LOG_MEL_TOLERANCE = 1e-4;

type Stages = {
  spectrogram: typeof heartSoundSpectrogram;
  segment: typeof segmentHeartSounds;
  cycle: typeof heartCycleFeatures;
  aligned: typeof alignedHeartCycleFeatures;
  logMels: typeof logMelSpectrogramsOfWindows;
};
const faster: Stages = {
  spectrogram: heartSoundSpectrogram,
  segment: segmentHeartSounds,
  cycle: heartCycleFeatures,
  aligned: alignedHeartCycleFeatures,
  logMels: logMelSpectrogramsOfWindows,
};
const referenceStages = {
  spectrogram: referenceHeartSoundSpectrogram,
  segment: referenceSegmentHeartSounds,
  cycle: referenceHeartCycleFeatures,
  aligned: referenceAlignedHeartCycleFeatures,
  logMels: referenceLogMelSpectrogramsOfWindows,
} as unknown as Stages; // the same signatures; the reference's types are its own copies

/** Every stage after conditioning, of `signal`, with the given implementations. */
function features(stages: Stages, signal: Float32Array) {
  return ([80, 128] as HeartSoundWindowLength[]).map((windowLength) => {
    const spectrogram = stages.spectrogram(signal, windowLength);
    const segments = stages.segment(signal, spectrogram);
    const windows =
      signal.length >= 10_000 ? segmentIntoWindows(signal, { sampleRate: MODEL_SAMPLE_RATE }) : [];
    return {
      spectrogram,
      segments,
      cycle: stages.cycle(signal, spectrogram, segments),
      aligned: stages.aligned(spectrogram, segments),
      logMels: [
        stages.logMels(signal, windows, DEFAULT_FEATURE_CONFIG),
        stages.logMels(signal, windows, COMPACT_CONFIG),
        ...(windowLength === 128 ? [stages.logMels(signal, windows, COMPACT_CONFIG, spectrogram)] : []),
      ],
    };
  });
}

function expectSameFeatures(
  actual: ReturnType<typeof features>,
  expected: ReturnType<typeof features>,
  logMelTolerance: number,
): void {
  actual.forEach((value, i) => {
    const reference = expected[i];
    expect(value.spectrogram.frames).toBe(reference.spectrogram.frames);
    expect(maxLogDifference(value.spectrogram.power, reference.spectrogram.power)).toBeLessThanOrEqual(
      TOLERANCE,
    );
    expect(value.segments).toEqual(reference.segments);
    for (const key of ['cycle', 'aligned'] as const) {
      expect(value[key] === null).toBe(reference[key] === null);
      if (value[key] && reference[key])
        expect(maxAbsDifference(value[key], reference[key])).toBeLessThanOrEqual(TOLERANCE);
    }
    value.logMels.forEach((mels, c) =>
      mels.forEach((mel, w) =>
        expect(maxAbsDifference(mel.data, reference.logMels[c][w].data)).toBeLessThanOrEqual(logMelTolerance),
      ),
    );
  });
}

describe.each(cases)('the faster feature path on $name', ({ signal }) => {
  it('conditions the signal as the reference does, within 1e-5', async () => {
    const decoded = await signal();
    expect(maxAbsDifference(prepareSignal(decoded), referencePrepareSignal(decoded))).toBeLessThanOrEqual(
      TOLERANCE,
    );
  });

  it("computes from the reference's conditioned signal what the reference computes, within 1e-5", async () => {
    const reference = referencePrepareSignal(await signal());
    expectSameFeatures(features(faster, reference), features(referenceStages, reference), TOLERANCE);
  });

  it('gives the same heart-cycle features and segments end to end, and log-mel within 1e-4', async () => {
    const decoded = await signal();
    expectSameFeatures(
      features(faster, prepareSignal(decoded)),
      features(referenceStages, referencePrepareSignal(decoded)),
      CHAINED_LOG_MEL_TOLERANCE,
    );
  });
});
