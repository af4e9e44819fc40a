import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAudio } from '../decode/decode-audio';
import { MODEL_SAMPLE_RATE, prepareSignal } from '../dsp/condition';
import { heartSoundSpectrogram, segmentHeartSounds } from '../segmentation/heart-sound-segmentation';
import {
  ALIGNED_CYCLE_FEATURE_NAMES,
  alignedHeartCycleFeatures,
  HEART_CYCLE_FEATURE_NAMES,
  heartCycleFeatures,
} from './heart-cycle-features';

const RATE = MODEL_SAMPLE_RATE;
const FIXTURES = join(__dirname, '../../test/fixtures');

/** S1 and S2 as 60-Hz bursts; optionally 150-Hz noise filling systole (a systolic murmur). */
function beats(murmur: number, seconds = 10): Float32Array {
  const signal = new Float32Array(seconds * RATE);
  let state = 7;
  const noise = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const beat = Math.round(0.8 * RATE);
  for (let start = Math.round(0.2 * RATE); start < signal.length; start += beat) {
    for (const [offset, length] of [
      [0, 200],
      [600, 160],
    ]) {
      for (let i = 0; i < length && start + offset + i < signal.length; i++) {
        signal[start + offset + i] +=
          Math.sin((Math.PI * i) / length) * Math.sin((2 * Math.PI * 60 * i) / RATE);
      }
    }
    for (let i = 260; i < 560 && start + i < signal.length; i++)
      signal[start + i] += murmur * noise() * Math.sin((2 * Math.PI * 150 * i) / RATE);
  }
  for (let i = 0; i < signal.length; i++) signal[i] += 0.01 * noise();
  return signal;
}

describe('heart-cycle features', () => {
  it('measure a systolic murmur as systolic energy against S1 in its band (100-200 Hz)', () => {
    const quiet = heartCycleFeatures(beats(0))!;
    const murmur = heartCycleFeatures(beats(0.5))!;
    const systoleOverS1 = HEART_CYCLE_FEATURE_NAMES.indexOf('systole/S1 100-200 Hz');
    const systoleOverDiastole = HEART_CYCLE_FEATURE_NAMES.indexOf('systole/diastole 100-200 Hz');
    expect(murmur[systoleOverS1] - quiet[systoleOverS1]).toBeGreaterThan(1);
    expect(murmur[systoleOverDiastole]).toBeGreaterThan(1);
    expect(quiet[HEART_CYCLE_FEATURE_NAMES.indexOf('heart rate')]).toBeCloseTo(75, 0);
  });

  it('are null when the recording has no two usable cycles', () => {
    expect(heartCycleFeatures(new Float32Array(RATE))).toBeNull();
  });

  it.each([
    [80, 'heart-sound-segments.json'],
    [128, 'heart-sound-segments-win128.json'],
  ] as const)(
    'match the research replica (research/cycle_frames.py) on real recordings with a %i-sample window',
    async (windowLength, fixture) => {
      const reference = JSON.parse(readFileSync(join(FIXTURES, fixture), 'utf8')) as Record<
        string,
        { cycleFeatures: number[] }
      >;
      for (const [id, expected] of Object.entries(reference)) {
        const signal = prepareSignal(
          await decodeAudio(new Uint8Array(readFileSync(join(FIXTURES, `${id}.flac`)))),
        );
        const features = Array.from(heartCycleFeatures(signal, heartSoundSpectrogram(signal, windowLength))!);
        expect(features).toHaveLength(HEART_CYCLE_FEATURE_NAMES.length);
        features.forEach((value, k) =>
          expect(value, `${id} ${HEART_CYCLE_FEATURE_NAMES[k]}`).toBeCloseTo(expected.cycleFeatures[k], 6),
        );
      }
    },
  );

  it('place a systolic murmur in the systolic thirds of its band, above mid-diastole', () => {
    const aligned = (signal: Float32Array) => {
      const spectrogram = heartSoundSpectrogram(signal, 128);
      return alignedHeartCycleFeatures(spectrogram, segmentHeartSounds(signal, spectrogram))!;
    };
    const [quiet, murmur] = [aligned(beats(0)), aligned(beats(0.5))];
    expect(quiet).toHaveLength(ALIGNED_CYCLE_FEATURE_NAMES.length);
    const at = (name: string) => ALIGNED_CYCLE_FEATURE_NAMES.indexOf(name);
    // Against mid-diastole of the same recording, so a murmur that leaks into the heart sounds' frames does not matter.
    const systoleOverDiastole = (f: Float64Array, third: number) =>
      f[at(`systole third ${third}/heart sounds 100-200 Hz`)] -
      f[at('diastole third 2/heart sounds 100-200 Hz')];
    for (const third of [1, 2, 3])
      expect(systoleOverDiastole(murmur, third) - systoleOverDiastole(quiet, third)).toBeGreaterThan(1);
  });

  it('align nothing when the segmentation has no two complete beats', () => {
    const spectrogram = heartSoundSpectrogram(new Float32Array(3 * RATE), 128);
    expect(
      alignedHeartCycleFeatures(spectrogram, [
        { state: 'S1', start: 400, end: 600 },
        { state: 'systole', start: 600, end: 1000 },
      ]),
    ).toBeNull();
  });
});
