import { describe, expect, it } from 'vitest';
import { conditionSignal } from './dsp/condition';
import { assessSignalQuality, assessWindowQuality } from './quality';
import { segmentIntoWindows } from './windows';

const RATE = 2000;

/** Synthetic heartbeat: S1 and S2 bursts (60 Hz / 90 Hz, 40 ms) at the given rate, plus noise. */
function heartbeat(bpm: number, seconds: number, noiseLevel = 0, seed = 1): Float32Array {
  let state = seed;
  const period = (60 / bpm) * RATE;
  return Float32Array.from({ length: seconds * RATE }, (_, n) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const phase = n % period;
    const burst = (start: number, hz: number) =>
      phase >= start && phase < start + 80
        ? Math.sin((2 * Math.PI * hz * (phase - start)) / RATE) * Math.sin((Math.PI * (phase - start)) / 80)
        : 0;
    return 0.5 * (burst(0, 60) + 0.7 * burst(0.3 * RATE, 90)) + noiseLevel * (state / 2 ** 30 - 1);
  });
}

function whiteNoise(seconds: number, seed = 3): Float32Array {
  let state = seed;
  return Float32Array.from({ length: seconds * RATE }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 30 - 1;
  });
}

describe('assessSignalQuality', () => {
  it('scores a clean periodic heartbeat high and finds its rate', () => {
    const quality = assessSignalQuality(conditionSignal(heartbeat(75, 20), RATE), RATE);
    expect(quality.score).toBeGreaterThan(0.7);
    expect(quality.periodicity).toBeGreaterThan(0.6);
    expect(quality.beatRateBpm).toBeCloseTo(75, -1);
  });

  it('scores white noise near zero', () => {
    const quality = assessSignalQuality(conditionSignal(whiteNoise(20), RATE), RATE);
    expect(quality.score).toBeLessThan(0.1);
  });

  it('scores a heartbeat buried in noise lower than a clean one', () => {
    const clean = assessSignalQuality(conditionSignal(heartbeat(75, 20), RATE), RATE);
    const noisy = assessSignalQuality(conditionSignal(heartbeat(75, 20, 0.4), RATE), RATE);
    expect(noisy.score).toBeLessThan(clean.score);
  });

  it('measures the fraction of clipped raw samples and lowers the score for it', () => {
    const raw = heartbeat(75, 20).map((value) => Math.max(-1, Math.min(1, value * 4)));
    const quality = assessSignalQuality(conditionSignal(raw, RATE), RATE, raw);
    expect(quality.clippingFraction).toBeGreaterThan(0.01);
    const unclipped = assessSignalQuality(conditionSignal(raw, RATE), RATE);
    expect(quality.score).toBeLessThan(unclipped.score);
  });

  it('gives every window its own score', () => {
    const signal = conditionSignal(heartbeat(75, 12), RATE);
    const windows = segmentIntoWindows(signal, { sampleRate: RATE });
    const qualities = assessWindowQuality(windows, RATE);
    expect(qualities).toHaveLength(windows.length);
    for (const quality of qualities) expect(quality.score).toBeGreaterThanOrEqual(0);
  });
});
