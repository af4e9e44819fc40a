import { describe, expect, it } from 'vitest';
import { sine, toneAmplitude } from '../test-signals';
import { resample } from './resample';

const decibels = (ratio: number): number => 20 * Math.log10(ratio);
// The strongest component between 1 and 999 Hz, by a 1 Hz grid search of tone amplitudes.
function dominantFrequency(samples: Float32Array, sampleRate: number): number {
  let best = 0;
  let bestAmplitude = 0;
  for (let f = 1; f < sampleRate / 2; f++) {
    const amplitude = toneAmplitude(samples, f, sampleRate, 500, samples.length - 500);
    if (amplitude > bestAmplitude) [best, bestAmplitude] = [f, amplitude];
  }
  return best;
}

describe('resample', () => {
  it('keeps the frequency and amplitude of a 300 Hz sine from 44.1 kHz to 2 kHz', () => {
    const output = resample(sine(300, 44_100, 2, 0.5), 44_100, 2000);
    expect(output.length).toBe(4000);
    expect(dominantFrequency(output, 2000)).toBe(300);
    expect(toneAmplitude(output, 300, 2000, 500, 3500)).toBeCloseTo(0.5, 3);
  });

  it('removes a 1.5 kHz tone instead of aliasing it to 500 Hz (<= -40 dB)', () => {
    const output = resample(sine(1500, 44_100, 2), 44_100, 2000);
    expect(decibels(toneAmplitude(output, 500, 2000, 200, 3800))).toBeLessThanOrEqual(-40);
    expect(
      decibels(Math.sqrt(output.subarray(200, 3800).reduce((sum, v) => sum + v * v, 0) / 3600) * Math.SQRT2),
    ).toBeLessThanOrEqual(-40);
  });

  it('keeps a tone across common rates (48 kHz, 8 kHz, 4 kHz, 22.05 kHz)', () => {
    for (const rate of [48_000, 8000, 4000, 22_050]) {
      const output = resample(sine(150, rate, 2, 0.5), rate, 2000);
      expect(output.length).toBe(4000);
      expect(toneAmplitude(output, 150, 2000, 500, 3500)).toBeCloseTo(0.5, 2);
    }
  });

  it('upsamples 1 kHz to 2 kHz without changing a 200 Hz tone', () => {
    const output = resample(sine(200, 1000, 2, 0.5), 1000, 2000);
    expect(toneAmplitude(output, 200, 2000, 500, 3500)).toBeCloseTo(0.5, 2);
  });

  it('handles rates whose ratio needs more than 1024 filter phases (44 056 Hz)', () => {
    const output = resample(sine(300, 44_056, 2, 0.5), 44_056, 2000);
    expect(toneAmplitude(output, 300, 2000, 500, 3500)).toBeCloseTo(0.5, 3);
  });

  it('returns a copy when the rates are equal', () => {
    const input = sine(100, 2000, 1);
    const output = resample(input, 2000, 2000);
    expect(output).toEqual(input);
    expect(output).not.toBe(input);
  });
});
