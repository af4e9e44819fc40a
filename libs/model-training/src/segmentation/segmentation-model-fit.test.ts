import { HEART_SOUND_FRAME_FEATURE_NAMES, heartSoundSpectrogram, segmentHeartSounds } from '@heartbeat/audio';
import { describe, expect, it } from 'vitest';
import { parseHeartCycleAnnotation } from './heart-cycle-annotation';
import {
  annotatedDurations,
  annotatedFrameStates,
  fitMultinomialLogistic,
  fitSegmentationModel,
} from './segmentation-model-fit';
import { onsetMetrics, scoreSegmentation } from './segmentation-score';

describe('annotatedFrameStates', () => {
  it('labels each 20-ms frame by the annotated state at its centre and leaves the rest unlabelled', () => {
    const annotation = parseHeartCycleAnnotation('1,S1\n81,systole\n161,(N\n241,N)\n');
    expect(Array.from(annotatedFrameStates(annotation, 7, 40))).toEqual([0, 0, 1, 1, -1, -1, -1]);
  });
});

describe('annotatedDurations', () => {
  it("measures S1 and S2 over every sound and systole around each recording's own mean", () => {
    const one = parseHeartCycleAnnotation(
      '1,S1\n201,systole\n801,S2\n1001,diastole\n2001,S1\n2241,systole\n2801,S2\n3041,diastole\n',
    );
    const two = parseHeartCycleAnnotation(
      '1,S1\n241,systole\n1041,S2\n1241,diastole\n2001,S1\n2201,systole\n3041,S2\n3241,diastole\n',
    );
    const durations = annotatedDurations([one, two]);
    expect(durations.s1.meanSec).toBeCloseTo(0.11, 12);
    expect(durations.s2.meanSec).toBeCloseTo(0.105, 12);
    // systoles 0.30/0.28 around 0.29 and 0.40/0.42 around 0.41: every deviation is 0.01 s.
    expect(durations.systoleSdSec).toBeCloseTo(Math.sqrt((4 * 0.01 ** 2) / 3), 12);
  });
});

describe('fitMultinomialLogistic', () => {
  it("separates classes that one feature tells apart, in the features' own units", () => {
    const rows = Array.from({ length: 300 }, (_, i) => [
      100 + (i % 3) * 10 + ((i * 7) % 5) * 0.3,
      (i * 13) % 11,
    ]);
    const labels = rows.map((_, i) => i % 3);
    const weights = fitMultinomialLogistic(rows, labels, 3, { iterations: 400, learningRate: 0.1, l2: 0 });
    const predicted = rows.map((row) => {
      const scores = weights.map((w) => w[0] + w[1] * row[0] + w[2] * row[1]);
      return scores.indexOf(Math.max(...scores));
    });
    expect(predicted).toEqual(labels);
  });
});

/** A clean rhythm: 100-ms S1 (60 Hz) and 80-ms S2 (90 Hz) every 0.8 s, S2 0.3 s after S1, and its annotation. */
function annotatedBeats(seconds: number, seed: number): { signal: Float32Array; csv: string } {
  const rate = 2000;
  const signal = new Float32Array(seconds * rate);
  let state = seed;
  for (let i = 0; i < signal.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    signal[i] = 0.02 * (state / 2147483648 - 0.5);
  }
  const rows = ['1,diastole'];
  for (let start = 400; start + 1600 < signal.length; start += 1600) {
    for (let i = 0; i < 200; i++)
      signal[start + i] += Math.sin((Math.PI * i) / 200) * Math.sin((2 * Math.PI * 60 * i) / rate);
    for (let i = 0; i < 160; i++)
      signal[start + 600 + i] +=
        0.7 * Math.sin((Math.PI * i) / 160) * Math.sin((2 * Math.PI * 90 * i) / rate);
    rows.push(`${start + 1},S1`, `${start + 201},systole`, `${start + 601},S2`, `${start + 761},diastole`);
  }
  return { signal, csv: rows.join('\n') };
}

describe('fitSegmentationModel', () => {
  it('fits an emission over the frame features that segments a held-out recording of the same kind', () => {
    const training = [1, 2].map((seed) => annotatedBeats(12, seed));
    const model = fitSegmentationModel(
      training.map(({ signal, csv }) => ({
        spectrogram: heartSoundSpectrogram(signal, 128),
        annotation: parseHeartCycleAnnotation(csv),
      })),
      { frameStride: 1, iterations: 200, learningRate: 0.05, l2: 1e-4, fitDurations: true },
    );
    expect(model.emission.featureNames).toEqual(HEART_SOUND_FRAME_FEATURE_NAMES);
    expect(model.durations?.s1.meanSec).toBeCloseTo(0.1, 9);
    expect(model.durations?.s1.sdSec).toBe(0.01);
    const held = annotatedBeats(12, 3);
    const score = scoreSegmentation(
      parseHeartCycleAnnotation(held.csv),
      segmentHeartSounds(held.signal, heartSoundSpectrogram(held.signal, 128), model),
    );
    expect(onsetMetrics(score.S1, score.S2).f1).toBeGreaterThan(0.95);
  });

  it('refuses annotations without every state', () => {
    const { signal } = annotatedBeats(4, 1);
    expect(() =>
      fitSegmentationModel([
        {
          spectrogram: heartSoundSpectrogram(signal, 128),
          annotation: parseHeartCycleAnnotation('1,S1\n401,systole\n'),
        },
      ]),
    ).toThrow(/every state/);
  });
});
