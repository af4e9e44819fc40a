import { describe, expect, it } from 'vitest';
import { isAudioError } from './errors';
import { segmentIntoWindows } from './windows';

const RATE = 2000;
const ramp = (seconds: number): Float32Array =>
  Float32Array.from({ length: Math.round(seconds * RATE) }, (_, i) => i + 1);

describe('segmentIntoWindows', () => {
  it('cuts 5-s windows every 2.5 s, each knowing its start time', () => {
    const windows = segmentIntoWindows(ramp(12.5), { sampleRate: RATE });
    expect(windows.map((window) => window.startSec)).toEqual([0, 2.5, 5, 7.5]);
    for (const window of windows) {
      expect(window.samples.length).toBe(10_000);
      expect(window.samples[0]).toBe(window.startSec * RATE + 1);
    }
  });

  it('adds one window aligned to the end when the hops stop short of it', () => {
    const windows = segmentIntoWindows(ramp(11), { sampleRate: RATE });
    expect(windows.map((window) => window.startSec)).toEqual([0, 2.5, 5, 6]);
    expect(windows.at(-1)?.samples.at(-1)).toBe(22_000);
  });

  it('zero-pads a recording of 2 to 5 s into a single window', () => {
    const [only, ...rest] = segmentIntoWindows(ramp(3), { sampleRate: RATE });
    expect(rest).toHaveLength(0);
    expect(only.startSec).toBe(0);
    expect(only.samples.length).toBe(10_000);
    expect(only.samples[5999]).toBe(6000);
    expect(only.samples[6000]).toBe(0);
  });

  it('rejects a recording shorter than 2 s with TOO_SHORT', () => {
    expect(() => segmentIntoWindows(ramp(1.9), { sampleRate: RATE })).toThrow(
      expect.objectContaining({ code: 'TOO_SHORT' }),
    );
    try {
      segmentIntoWindows(ramp(1.9), { sampleRate: RATE });
    } catch (error) {
      expect(isAudioError(error, 'TOO_SHORT')).toBe(true);
    }
  });

  it('honours a configured window and hop length', () => {
    const windows = segmentIntoWindows(ramp(10), { sampleRate: RATE, windowSec: 4, hopSec: 3 });
    expect(windows.map((window) => window.startSec)).toEqual([0, 3, 6]);
    expect(windows[0].samples.length).toBe(8000);
  });

  it('returns views of the signal instead of copies', () => {
    const signal = ramp(10);
    const windows = segmentIntoWindows(signal, { sampleRate: RATE });
    expect(windows[1].samples.buffer).toBe(signal.buffer);
  });
});
