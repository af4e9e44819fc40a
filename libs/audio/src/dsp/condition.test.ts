import { describe, expect, it } from 'vitest';
import { peakAbs, sine, toneAmplitude } from '../test-signals';
import { bandPass, conditionSignal, conditionSignalInJavaScript, prepareSignal } from './condition';

const RATE = 2000;
const decibels = (ratio: number): number => 20 * Math.log10(ratio);
// Ignore half a second at each end: the claim is about the steady state.
const steadyAmplitude = (signal: Float32Array, frequency: number): number =>
  toneAmplitude(signal, frequency, RATE, RATE / 2, signal.length - RATE / 2);

describe('bandPass (zero-phase 25-400 Hz)', () => {
  it('passes a 100 Hz sine at 95 % of its amplitude or more', () => {
    expect(steadyAmplitude(bandPass(sine(100, RATE, 4), RATE), 100)).toBeGreaterThanOrEqual(0.95);
  });

  it('attenuates a 10 Hz sine by at least 20 dB', () => {
    expect(decibels(steadyAmplitude(bandPass(sine(10, RATE, 4), RATE), 10))).toBeLessThanOrEqual(-20);
  });

  it('attenuates a 600 Hz sine by at least 20 dB', () => {
    expect(decibels(steadyAmplitude(bandPass(sine(600, RATE, 4), RATE), 600))).toBeLessThanOrEqual(-20);
  });

  it('does not shift a click in time (zero phase)', () => {
    const click = new Float32Array(4000);
    click[2000] = 1;
    const filtered = bandPass(click, RATE);
    const peakIndex = filtered.reduce(
      (best, value, i) => (Math.abs(value) > Math.abs(filtered[best]) ? i : best),
      0,
    );
    expect(peakIndex).toBe(2000);
  });

  it('removes a DC offset', () => {
    const offset = sine(100, RATE, 4).map((value) => value + 0.5);
    const filtered = bandPass(offset, RATE);
    const mean = filtered.reduce((sum, value) => sum + value, 0) / filtered.length;
    expect(Math.abs(mean)).toBeLessThan(1e-3);
  });
});

describe('conditionSignal', () => {
  it('scales the 99th percentile of |x| to 1 so the recording level does not matter', () => {
    const quiet = conditionSignal(sine(100, RATE, 4, 0.01), RATE);
    const loud = conditionSignal(sine(100, RATE, 4, 0.8), RATE);
    for (let i = 0; i < quiet.length; i += 97) expect(quiet[i]).toBeCloseTo(loud[i], 4);
    expect(peakAbs(loud, RATE, loud.length - RATE)).toBeCloseTo(1, 2);
  });

  it('clips a spike 100 times louder than the heart sounds to 3', () => {
    const signal = sine(100, RATE, 4, 0.1);
    signal[4000] = 10;
    expect(peakAbs(conditionSignal(signal, RATE))).toBeLessThanOrEqual(3);
  });

  it('returns zeros for an all-zero input instead of dividing by zero', () => {
    expect(peakAbs(conditionSignal(new Float32Array(4000), RATE))).toBe(0);
  });
});

describe('prepareSignal', () => {
  it('resamples a 44.1 kHz recording to 2000 Hz and keeps a 100 Hz tone', () => {
    const prepared = prepareSignal({ samples: sine(100, 44_100, 3, 0.3), sampleRate: 44_100 });
    expect(prepared.length).toBe(6000);
    expect(toneAmplitude(prepared, 100, RATE, 1000, 5000)).toBeGreaterThan(0.9);
  });
});

describe('conditionSignal in WebAssembly', () => {
  const bits = (values: Float32Array): Uint32Array =>
    new Uint32Array(values.buffer, values.byteOffset, values.length);
  const sameBits = (a: Float32Array, b: Float32Array): boolean =>
    a.length === b.length && bits(a).every((value, i) => value === bits(b)[i]);

  it('gives the JavaScript path’s float32 values bit for bit', () => {
    const spiky = sine(100, RATE, 6, 0.1).map((value, i) => value + (i % 1999 === 0 ? 5 : 0) + 0.3);
    const noise = Float32Array.from({ length: 30_001 }, (_, i) => Math.sin(i * i * 0.37) * 0.4);
    const constant = new Float32Array(5000).fill(0.25);
    for (const signal of [
      sine(60, RATE, 4, 0.5),
      spiky,
      noise,
      constant,
      new Float32Array(4000),
      Float32Array.of(0.1, -0.2),
      Float32Array.of(0.3, 0.1, -0.4),
    ])
      expect(sameBits(conditionSignal(signal, RATE), conditionSignalInJavaScript(signal, RATE))).toBe(true);
  });

  it('leaves a signal that filters to non-finite values to the JavaScript path', () => {
    const huge = sine(100, RATE, 2, 3e38);
    expect(sameBits(conditionSignal(huge, RATE), conditionSignalInJavaScript(huge, RATE))).toBe(true);
  });
});
