import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAudio } from '../decode/decode-audio';
import { MODEL_SAMPLE_RATE, prepareSignal } from '../dsp/condition';
import {
  HEART_SOUND_SPECTROGRAM,
  heartCycles,
  HEART_SOUND_STATES,
  heartSoundSpectrogram,
  segmentHeartSounds,
} from './heart-sound-segmentation';

const RATE = MODEL_SAMPLE_RATE;

/** Beats of a 60-Hz S1 (100 ms) and a 90-Hz S2 (80 ms) over faint noise, at a given rate and systole. */
function syntheticBeats(
  beatsPerMinute: number,
  systoleSec: number,
  seconds: number,
  seed = 1,
): { signal: Float32Array; s1Starts: number[] } {
  const signal = new Float32Array(Math.round(seconds * RATE));
  let state = seed;
  const noise = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  for (let i = 0; i < signal.length; i++) signal[i] = 0.02 * noise();
  const addSound = (start: number, length: number, frequency: number): void => {
    for (let i = 0; i < length && start + i < signal.length; i++) {
      signal[start + i] += Math.sin((Math.PI * i) / length) * Math.sin((2 * Math.PI * frequency * i) / RATE);
    }
  };
  const beat = Math.round((60 / beatsPerMinute) * RATE);
  const s1Starts: number[] = [];
  for (let start = Math.round(0.3 * RATE); start < signal.length; start += beat) {
    s1Starts.push(start);
    addSound(start, Math.round(0.1 * RATE), 60);
    addSound(start + Math.round(systoleSec * RATE), Math.round(0.08 * RATE), 90);
  }
  return { signal, s1Starts };
}

describe('heart-sound segmentation', () => {
  it('finds every beat of a clean rhythm and puts S1 where each beat starts, within 40 ms', () => {
    const { signal, s1Starts } = syntheticBeats(72, 0.32, 12);
    const cycles = heartCycles(segmentHeartSounds(signal));
    const inside = s1Starts.filter((s) => s > 0.5 * RATE && s < signal.length - 1.5 * RATE);
    for (const start of inside) {
      const nearest = Math.min(...cycles.map((cycle) => Math.abs(cycle.s1 - start)));
      expect(nearest).toBeLessThanOrEqual(0.04 * RATE);
    }
    for (const cycle of cycles) {
      expect((cycle.s2 - cycle.s1) / RATE).toBeCloseTo(0.32, 1);
      expect((cycle.nextS1 - cycle.s1) / RATE).toBeCloseTo(60 / 72, 1);
    }
  });

  it('tells S1 from S2 by the shorter systole at a fast rate too', () => {
    const { signal, s1Starts } = syntheticBeats(110, 0.24, 10);
    const cycles = heartCycles(segmentHeartSounds(signal));
    expect(cycles.length).toBeGreaterThanOrEqual(14);
    for (const cycle of cycles)
      expect(Math.min(...s1Starts.map((s) => Math.abs(cycle.s1 - s)))).toBeLessThanOrEqual(0.04 * RATE);
  });

  it('covers the whole recording with states in the cycle order', () => {
    const { signal } = syntheticBeats(64, 0.3, 8);
    const segments = segmentHeartSounds(signal);
    expect(segments[0].start).toBe(0);
    expect(segments.at(-1)!.end).toBe((1 + Math.floor(signal.length / 40)) * 40);
    for (let i = 1; i < segments.length; i++) {
      expect(segments[i].start).toBe(segments[i - 1].end);
      const expected = HEART_SOUND_STATES[(HEART_SOUND_STATES.indexOf(segments[i - 1].state) + 1) % 4];
      expect(segments[i].state).toBe(expected);
    }
  });

  it('does not segment a recording under 2 s', () => {
    expect(segmentHeartSounds(syntheticBeats(70, 0.3, 1.9).signal)).toEqual([]);
  });

  it.each([
    [80, 'heart-sound-segments.json'],
    [128, 'heart-sound-segments-win128.json'],
  ] as const)(
    'matches the research replica (research/cycle_frames.py) on real recordings with a %i-sample window',
    async (windowLength, fixture) => {
      const reference = JSON.parse(
        readFileSync(join(__dirname, '../../test/fixtures', fixture), 'utf8'),
      ) as Record<string, { segments: [number, number, number][] }>;
      for (const [id, expected] of Object.entries(reference)) {
        const decoded = await decodeAudio(
          new Uint8Array(readFileSync(join(__dirname, `../../test/fixtures/${id}.flac`))),
        );
        const signal = prepareSignal(decoded);
        const segments = segmentHeartSounds(signal, heartSoundSpectrogram(signal, windowLength));
        expect(
          segments.map((s) => [HEART_SOUND_STATES.indexOf(s.state), s.start, s.end]),
          id,
        ).toEqual(expected.segments);
      }
    },
  );

  it('refuses a spectrogram that is not a heart-sound spectrogram', () => {
    const { signal } = syntheticBeats(70, 0.3, 6);
    const other = { ...heartSoundSpectrogram(signal), config: { ...HEART_SOUND_SPECTROGRAM, hopLength: 80 } };
    expect(() => segmentHeartSounds(signal, other)).toThrow(/not a heart-sound spectrogram/);
    expect(() => heartSoundSpectrogram(signal, 100 as never)).toThrow(/one of 80, 128 samples/);
  });
});
