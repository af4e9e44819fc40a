import { describe, expect, it } from 'vitest';
import { heartSoundSpectrogram, type HeartSoundSegment } from '@heartbeat/audio';
import { syntheticHeartRecording } from '../cycle-model/synthetic-heart-recording.test-support';
import { seededRandom } from '../data/random';
import {
  COMPACT_MODEL_INPUT,
  heartSoundMask,
  type ModelInputSpec,
  segmentForNormalisation,
  windowHeartSoundFrames,
  MEL_BANDS,
  WINDOW_FRAMES,
  WINDOW_SAMPLES,
  normaliseWindowFeatures,
  recordingWindows,
  repeatToLength,
  WINDOW_VALUES,
  windowFeatures,
  windowShape,
  windowStartSamples,
} from './model-input';

describe('model input', () => {
  it('uses 251 frames of 64 mel bands per 5-s window', () => {
    expect(WINDOW_FRAMES).toBe(251);
    expect(MEL_BANDS).toBe(64);
  });

  it('removes a constant per-band offset, as a different stethoscope response would add', () => {
    const frames = 10;
    const bands = 4;
    const base = Float32Array.from({ length: frames * bands }, (_, i) => Math.sin(i * 1.7));
    const shifted = base.map((v, i) => v + [3, -2, 0.5, 7][i % bands] * 1);
    const a = normaliseWindowFeatures(Float32Array.from(base), frames, bands);
    const b = normaliseWindowFeatures(Float32Array.from(shifted), frames, bands);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
  });

  it('repeats a short clip to fill the window', () => {
    const out = repeatToLength(Float32Array.from([1, 2, 3]), 7);
    expect(Array.from(out)).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });

  it('places windows every hop and one more at the end when the tail is long', () => {
    expect(windowStartSamples(WINDOW_SAMPLES)).toEqual([0]);
    expect(windowStartSamples(20_000)).toEqual([0, 5000, 10_000]);
    expect(windowStartSamples(23_000)).toEqual([0, 5000, 10_000, 13_000]);
    expect(windowStartSamples(20_500)).toEqual([0, 5000, 10_000]);
  });

  it('turns a 12-s signal into windows of the model shape', () => {
    const signal = Float32Array.from({ length: 24_000 }, (_, i) => Math.sin((2 * Math.PI * 60 * i) / 2000));
    const windows = recordingWindows(signal);
    expect(windows.windowCount).toBe(4);
    expect(windows.features).toHaveLength(4 * WINDOW_FRAMES * MEL_BANDS);
    expect(windows.startSeconds).toEqual([0, 2.5, 5, 7]);
    expect(windows.features.every(Number.isFinite)).toBe(true);
  });

  it('gives every window exactly the features windowFeatures computes for it alone', () => {
    // 23 s: regular windows plus an end-aligned one whose start is not on the frame grid.
    const signal = Float32Array.from(
      { length: 46_013 },
      (_, i) => Math.sin(i * 0.37) * Math.exp(-((i % 1700) / 300)),
    );
    const windows = recordingWindows(signal);
    windows.startSeconds.forEach((startSeconds, index) => {
      const start = Math.round(startSeconds * 2000);
      const alone = windowFeatures(signal.subarray(start, start + WINDOW_SAMPLES));
      expect(windows.features.subarray(index * WINDOW_VALUES, (index + 1) * WINDOW_VALUES)).toEqual(alone);
    });
  });

  it('makes compact windows of 126 frames x 32 bands, each equal to the window computed alone', () => {
    expect(windowShape(COMPACT_MODEL_INPUT)).toEqual({
      samples: 10_000,
      frames: 126,
      bands: 32,
      values: 126 * 32,
    });
    // Window starts 2.5 s apart are not on the 40-ms frame grid: every other window is computed on its own.
    const signal = Float32Array.from(
      { length: 46_013 },
      (_, i) => Math.sin(i * 0.37) * Math.exp(-((i % 1700) / 300)),
    );
    const windows = recordingWindows(signal, COMPACT_MODEL_INPUT);
    expect(windows.features).toHaveLength(windows.windowCount * 126 * 32);
    windows.startSeconds.forEach((startSeconds, index) => {
      const start = Math.round(startSeconds * 2000);
      const alone = windowFeatures(signal.subarray(start, start + WINDOW_SAMPLES), COMPACT_MODEL_INPUT);
      expect(windows.features.subarray(index * 126 * 32, (index + 1) * 126 * 32)).toEqual(alone);
    });
  });

  it('makes the same compact windows from the 64-ms heart-sound spectrogram, without computing its frames again', () => {
    const signal = Float32Array.from(
      { length: 46_013 },
      (_, i) => Math.sin(i * 0.37) * Math.exp(-((i % 1700) / 300)),
    );
    const fromHeartSounds = recordingWindows(signal, COMPACT_MODEL_INPUT, heartSoundSpectrogram(signal, 128));
    expect(fromHeartSounds.features).toEqual(recordingWindows(signal, COMPACT_MODEL_INPUT).features);
    // A clip shorter than a window is repeated to fill it: its own spectrogram does not serve.
    const clip = signal.subarray(0, 6000);
    expect(recordingWindows(clip, COMPACT_MODEL_INPUT, heartSoundSpectrogram(clip, 128)).features).toEqual(
      recordingWindows(clip, COMPACT_MODEL_INPUT).features,
    );
    // The 40-ms heart-sound spectrogram (model 1.3.0's) has other frames: they are computed.
    expect(recordingWindows(signal, COMPACT_MODEL_INPUT, heartSoundSpectrogram(signal, 80)).features).toEqual(
      fromHeartSounds.features,
    );
  });

  describe('normalised over the heart sounds', () => {
    const overSounds: ModelInputSpec = { ...COMPACT_MODEL_INPUT, normalisation: 'heart-sounds' };

    it("removes each band's mean over the heart-sound frames, so those frames average zero", () => {
      const frames = 12;
      const bands = 3;
      const values = Float32Array.from({ length: frames * bands }, (_, i) => Math.cos(i * 0.9) + (i % bands));
      const sounds = Uint8Array.from({ length: frames }, (_, t) => (t % 4 === 0 ? 1 : 0));
      const out = normaliseWindowFeatures(values, frames, bands, sounds);
      for (let band = 0; band < bands; band++) {
        const soundMean = [0, 4, 8].reduce((sum, t) => sum + out[t * bands + band], 0) / 3;
        expect(soundMean).toBeCloseTo(0, 5);
      }
      const all = normaliseWindowFeatures(Float32Array.from(values), frames, bands);
      expect(Array.from(out)).not.toEqual(Array.from(all));
    });

    it('falls back to the window mean when fewer than three frames are heart sounds', () => {
      const values = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i * 1.3) * (1 + (i % 3)));
      const twoSounds = Uint8Array.from({ length: 10 }, (_, t) => (t === 2 || t === 7 ? 1 : 0));
      expect(normaliseWindowFeatures(Float32Array.from(values), 10, 3, twoSounds)).toEqual(
        normaliseWindowFeatures(Float32Array.from(values), 10, 3),
      );
    });

    it('marks the 20-ms steps inside S1 and S2 only', () => {
      const segments: HeartSoundSegment[] = [
        { state: 'S1', start: 0, end: 80 },
        { state: 'systole', start: 80, end: 200 },
        { state: 'S2', start: 200, end: 280 },
        { state: 'diastole', start: 280, end: 400 },
      ];
      expect(Array.from(heartSoundMask(segments, 400).steps)).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0]);
    });

    it('reads each frame at its centre in the recording, through the window start and the repetition of a short clip', () => {
      const mask = { steps: Uint8Array.from([1, 0, 0, 1, 1]), stepSamples: 40 };
      const shape = { samples: 200, frames: 6, bands: 1, values: 6 };
      // Frame t is centred on window sample 40t (the last clamped to 199), which came from recording sample (s + 80) % 200.
      expect(Array.from(windowHeartSoundFrames(mask, shape, 40, (s) => (s + 80) % 200))).toEqual([
        0, 1, 1, 1, 0, 0,
      ]);
    });

    it('gives every window of a heart recording the features of the window alone with its heart-sound frames', () => {
      const signal = syntheticHeartRecording(true, seededRandom(7));
      const segments = segmentForNormalisation(signal);
      expect(segments.filter((s) => s.state === 'S1').length).toBeGreaterThan(5);
      const mask = heartSoundMask(segments, signal.length);
      const shape = windowShape(overSounds);
      const windows = recordingWindows(signal, overSounds);
      expect(windows.windowCount).toBeGreaterThan(1);
      windows.startSeconds.forEach((startSeconds, index) => {
        const start = Math.round(startSeconds * 2000);
        const frames = windowHeartSoundFrames(
          mask,
          shape,
          overSounds.featureConfig.hopLength,
          (s) => start + s,
        );
        const alone = windowFeatures(signal.subarray(start, start + shape.samples), overSounds, frames);
        expect(windows.features.subarray(index * shape.values, (index + 1) * shape.values)).toEqual(alone);
      });
      expect(windows.features).not.toEqual(recordingWindows(signal, COMPACT_MODEL_INPUT).features);
      // The 64-ms heart-sound spectrogram, when the caller has it, gives the same segmentation and features.
      expect(recordingWindows(signal, overSounds, heartSoundSpectrogram(signal, 128)).features).toEqual(
        windows.features,
      );
    });
  });
});
