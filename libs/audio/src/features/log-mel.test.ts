import { describe, expect, it } from 'vitest';
import { sine } from '../test-signals';
import { segmentIntoWindows } from '../windows';
import {
  DEFAULT_FEATURE_CONFIG,
  frameCount,
  framesServe,
  logMelSpectrogram,
  logMelSpectrogramsOfWindows,
  melPowerSpectrogram,
  melPowerSpectrogramInJavaScript,
  melPowerSpectrogramOneFftPerFrame,
} from './log-mel';
import { wasmMelPowerServes } from './dsp-kernels';
import { hzToMelSlaney, melFilterbank, melToHzSlaney } from './mel-filterbank';
import { referenceFilterbank, referenceLogMel } from '../../test/python-reference';

function noise(length: number, seed = 1): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 30 - 1;
  });
}

const maxAbsDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

describe('Slaney mel scale', () => {
  it('is linear below 1 kHz and logarithmic above, and round-trips', () => {
    expect(hzToMelSlaney(200)).toBeCloseTo(3, 10);
    expect(hzToMelSlaney(1000)).toBeCloseTo(15, 10);
    expect(hzToMelSlaney(6400)).toBeCloseTo(42, 10);
    for (const hz of [25, 400, 999, 1000, 3000]) expect(melToHzSlaney(hzToMelSlaney(hz))).toBeCloseTo(hz, 8);
  });
});

describe('mel filterbank', () => {
  it('matches the independent numpy implementation of librosa.filters.mel within 1e-4', () => {
    const ours = melFilterbank(DEFAULT_FEATURE_CONFIG);
    const reference = referenceFilterbank(DEFAULT_FEATURE_CONFIG);
    expect(ours.length).toBe(64);
    expect(reference.length).toBe(64);
    for (let band = 0; band < 64; band++) {
      expect(reference[band].length).toBe(129);
      expect(maxAbsDifference(ours[band], reference[band])).toBeLessThanOrEqual(1e-4);
    }
  });
});

describe('logMelSpectrogram', () => {
  it('gives 251 frames x 64 bands for a 5-s window at 2000 Hz', () => {
    const spectrogram = logMelSpectrogram(noise(10_000));
    expect(spectrogram.frames).toBe(251);
    expect(spectrogram.mels).toBe(64);
    expect(spectrogram.data.length).toBe(251 * 64);
    expect(frameCount(10_000)).toBe(251);
  });

  it('matches the numpy reference (reflect padding, centred Hann, Slaney mel, ln(p + 1e-6)) within 1e-3', () => {
    const samples = noise(10_000, 7).map(
      (value, n) => 0.3 * value + Math.sin((2 * Math.PI * 100 * n) / 2000),
    );
    const ours = logMelSpectrogram(samples);
    const reference = referenceLogMel(samples, DEFAULT_FEATURE_CONFIG);
    expect(reference.length).toBe(ours.data.length);
    expect(maxAbsDifference(ours.data, reference)).toBeLessThan(1e-3);
  });

  it('lays data out frame-major, so a 100 Hz tone is loudest in the band around 100 Hz of every frame', () => {
    const { data, frames, mels } = logMelSpectrogram(sine(100, 2000, 5));
    const bands = melFilterbank(DEFAULT_FEATURE_CONFIG);
    const bin100 = Math.round((100 * 256) / 2000);
    const expectedBand = bands.reduce(
      (best, weights, band) => (weights[bin100] > bands[best][bin100] ? band : best),
      0,
    );
    for (const t of [10, 125, 240]) {
      const row = Array.from(data.subarray(t * mels, (t + 1) * mels));
      expect(row.indexOf(Math.max(...row))).toBe(expectedBand);
    }
    expect(frames).toBe(251);
  });

  it('is deterministic', () => {
    const samples = noise(10_000, 3);
    expect(logMelSpectrogram(samples).data).toEqual(logMelSpectrogram(samples).data);
  });
});

describe('logMelSpectrogramsOfWindows', () => {
  // The compact model input's analysis: 32 bands up to 400 Hz every 40 ms.
  const coarse = { ...DEFAULT_FEATURE_CONFIG, hopLength: 80, nMels: 32, fMax: 400 };

  it('equals logMelSpectrogram of every window exactly while sharing overlapping frames', () => {
    const signal = noise(2000 * 23 + 333, 11);
    const windows = segmentIntoWindows(signal, { sampleRate: 2000 });
    const shared = logMelSpectrogramsOfWindows(signal, windows);
    expect(shared.length).toBe(windows.length);
    windows.forEach((window, i) => expect(shared[i].data).toEqual(logMelSpectrogram(window.samples).data));
  });

  it('reads the frames from a mel power spectrogram at a finer hop, with the same values to rounding', () => {
    const signal = noise(2000 * 23 + 333, 12);
    const whole = melPowerSpectrogram(signal, { ...coarse, hopLength: 40 });
    expect(framesServe(whole, coarse, signal.length)).toBe(true);
    // Window starts every 2.5 s lie on the 20-ms grid but every other one is off the 40-ms grid.
    const windows = segmentIntoWindows(signal, { sampleRate: 2000 });
    const fromWhole = logMelSpectrogramsOfWindows(signal, windows, coarse, whole);
    // melPowerSpectrogram computes two frames per complex FFT: equal to one real FFT per frame to ~1e-15.
    windows.forEach((window, i) =>
      expect(
        maxAbsDifference(fromWhole[i].data, logMelSpectrogram(window.samples, coarse).data),
      ).toBeLessThan(1e-5),
    );
    const oneFftPerFrame = melPowerSpectrogramOneFftPerFrame(signal, { ...coarse, hopLength: 40 });
    const fromReference = logMelSpectrogramsOfWindows(signal, windows, coarse, oneFftPerFrame);
    windows.forEach((window, i) =>
      expect(fromReference[i].data).toEqual(logMelSpectrogram(window.samples, coarse).data),
    );
  });

  it('runs the heart-sound spectrogram in WebAssembly on this Node (FFT sizes that are powers of four)', () => {
    expect(wasmMelPowerServes(256)).toBe(true);
    expect(wasmMelPowerServes(128)).toBe(false);
  });

  it('pairs two frames per complex FFT, in WebAssembly and in JavaScript, with the result of one real FFT per frame (relative 1e-9, log-mel 1e-5)', () => {
    // Odd and even frame counts, a quiet stretch next to a loud one (a quiet frame shares its FFT
    // with a loud partner), and the 80- and 128-sample heart-sound windows.
    const loudThenQuiet = Float32Array.from(noise(2000 * 7 + 41, 14), (v, i) =>
      i < 7000 ? v * 100 : v * 1e-3,
    );
    for (const signal of [noise(2000 * 9 + 17, 15), noise(2000 * 9 + 57, 16), loudThenQuiet])
      for (const winLength of [80, 128]) {
        const config = { ...coarse, hopLength: 40, winLength };
        for (const paired of [
          melPowerSpectrogram(signal, config),
          melPowerSpectrogramInJavaScript(signal, config),
        ]) {
          const reference = melPowerSpectrogramOneFftPerFrame(signal, config);
          expect(paired.frames).toBe(reference.frames);
          let worstRelative = 0;
          let worstLog = 0;
          for (let i = 0; i < reference.power.length; i++) {
            worstRelative = Math.max(
              worstRelative,
              Math.abs(paired.power[i] - reference.power[i]) / reference.power[i],
            );
            worstLog = Math.max(worstLog, Math.abs(Math.log(paired.power[i]) - Math.log(reference.power[i])));
          }
          expect(worstRelative).toBeLessThan(1e-9);
          expect(worstLog).toBeLessThan(1e-5);
        }
      }
  });

  it('refuses a spectrogram of another analysis or another signal', () => {
    const signal = noise(2000 * 12, 13);
    const windows = segmentIntoWindows(signal, { sampleRate: 2000 });
    const otherWindow = melPowerSpectrogram(signal, { ...coarse, hopLength: 40, winLength: 80 });
    const otherHop = melPowerSpectrogram(signal, { ...coarse, hopLength: 60 });
    const otherSignal = melPowerSpectrogram(signal.subarray(0, 20_000), { ...coarse, hopLength: 40 });
    for (const whole of [otherWindow, otherHop, otherSignal]) {
      expect(framesServe(whole, coarse, signal.length)).toBe(false);
      expect(() => logMelSpectrogramsOfWindows(signal, windows, coarse, whole)).toThrow(
        /not of this signal with the same analysis/,
      );
    }
  });
});
