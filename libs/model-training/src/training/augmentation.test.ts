import { describe, expect, it } from 'vitest';
import {
  DEFAULT_AUGMENTATION,
  addNoise,
  applyBiquad,
  augmentSignalWindow,
  cropAndStretch,
  cropRandomWindow,
  cropRandomWindowWithSource,
  maskRandomBands,
} from './augmentation';
import { seededRandom } from '@heartbeat/model';

const sine = (frequency: number, length: number) =>
  Float32Array.from({ length }, (_, i) => Math.sin((2 * Math.PI * frequency * i) / 2000));
const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

describe('augmentation', () => {
  it('crops without stretching to an exact copy of part of the signal', () => {
    const signal = Float32Array.from({ length: 100 }, (_, i) => i);
    const crop = cropAndStretch(signal, 10, 1, seededRandom(1));
    for (let i = 1; i < crop.length; i++) expect(crop[i] - crop[i - 1]).toBeCloseTo(1, 6);
  });

  it('low-pass filtering keeps a 50 Hz tone and attenuates a 600 Hz tone', () => {
    expect(rms(applyBiquad(sine(50, 4000), 'lowpass', 200, 0.707).subarray(1000))).toBeGreaterThan(0.65);
    expect(rms(applyBiquad(sine(600, 4000), 'lowpass', 200, 0.707).subarray(1000))).toBeLessThan(0.1);
  });

  it('adds noise at the requested signal-to-noise ratio', () => {
    const clean = sine(100, 20_000);
    const noisy = addNoise(Float32Array.from(clean), 20, seededRandom(2));
    const noise = noisy.map((v, i) => v - clean[i]);
    expect(20 * Math.log10(rms(clean) / rms(noise))).toBeCloseTo(20, 0);
  });

  it('makes windows of the requested length from short clips repeated, as inference does', () => {
    const options = {
      ...DEFAULT_AUGMENTATION,
      shortClipProbability: 1,
      filterProbability: 0,
      noiseProbability: 0,
      maxTimeStretch: 0,
    };
    const window = augmentSignalWindow(sine(37, 30_000), 10_000, seededRandom(3), options);
    expect(window).toHaveLength(10_000);
    // The clip is at most 4.5 s (9,000 samples), so the window's tail repeats its start.
    const period = [...Array(7001).keys()]
      .map((k) => k + 4000)
      .find((p) => Math.abs(window[p] - window[0]) < 1e-6 && Math.abs(window[p + 1] - window[1]) < 1e-6);
    expect(period).toBeDefined();
  });

  it('tells which recording sample each sample of a crop came from, with the same random draws as cropRandomWindow', () => {
    const signal = Float32Array.from({ length: 30_000 }, (_, i) => i);
    for (const shortClipProbability of [0, 1]) {
      const options = { ...DEFAULT_AUGMENTATION, shortClipProbability };
      const crop = cropRandomWindowWithSource(signal, 10_000, seededRandom(5), options);
      expect(crop.samples).toEqual(cropRandomWindow(signal, 10_000, seededRandom(5), options));
      // The signal is its own index: an interpolated sample lies within half a sample of its source.
      for (let i = 0; i < 10_000; i += 97)
        expect(Math.abs(crop.samples[i] - crop.sourceSampleAt(i))).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });

  it('maps the samples of a crop of a clip shorter than the window back into the clip', () => {
    const clip = Float32Array.from({ length: 3000 }, (_, i) => i);
    const crop = cropRandomWindowWithSource(clip, 10_000, seededRandom(6), {
      ...DEFAULT_AUGMENTATION,
      maxTimeStretch: 0,
    });
    for (let i = 0; i < 10_000; i += 101) {
      expect(crop.sourceSampleAt(i)).toBeLessThan(3000);
      expect(crop.samples[i]).toBeCloseTo(crop.sourceSampleAt(i), 3);
    }
  });

  it('masks a contiguous run of bands in every frame', () => {
    const features = new Float32Array(3 * 8).fill(1);
    maskRandomBands(features, 3, 8, seededRandom(4), 3);
    const masked = [...features.subarray(0, 8)].map((v, band) => (v === 0 ? band : -1)).filter((b) => b >= 0);
    expect(masked.length).toBeGreaterThanOrEqual(1);
    expect(masked[masked.length - 1] - masked[0] + 1).toBe(masked.length);
    expect([...features.subarray(8, 16)]).toEqual([...features.subarray(0, 8)]);
  });
});
