// Fits the heart-sound segmentation's emission and duration models on hand-annotated recordings
// (Springer et al. 2016 trained theirs the same way): a four-class logistic regression from each
// 20-ms frame's features to its annotated state, and the S1, S2 and systole durations the annotators
// marked. Pure: the caller brings spectrograms and annotations.
import {
  HEART_SOUND_SPECTROGRAM,
  HEART_SOUND_STATES,
  heartSoundFrameFeatures,
  type HeartSoundSegmentationModel,
  type HeartSoundSpectrogram,
  type SegmentationDurations,
} from '@heartbeat/audio';
import type { HeartCycleAnnotation } from './heart-cycle-annotation';

export interface AnnotatedSpectrogram {
  readonly spectrogram: HeartSoundSpectrogram;
  readonly annotation: HeartCycleAnnotation;
}

export interface SegmentationFitOptions {
  /** Every n-th annotated frame is used (neighbouring frames say nearly the same). */
  readonly frameStride: number;
  readonly iterations: number;
  readonly learningRate: number;
  readonly l2: number;
  /** Fit the durations too (else the HSMM keeps its literature values). */
  readonly fitDurations: boolean;
}

export const DEFAULT_SEGMENTATION_FIT: SegmentationFitOptions = Object.freeze({
  frameStride: 5,
  iterations: 300,
  learningRate: 0.05,
  l2: 1e-4,
  fitDurations: true,
});

/** Per spectrogram frame, the annotated state's index (HEART_SOUND_STATES) at the frame's centre, or -1 where none was annotated. */
export function annotatedFrameStates(
  annotation: HeartCycleAnnotation,
  frames: number,
  hopLength = HEART_SOUND_SPECTROGRAM.hopLength,
): Int8Array {
  const states = new Int8Array(frames).fill(-1);
  for (const { state, start, end } of annotation.segments) {
    const index = HEART_SOUND_STATES.indexOf(state);
    for (let t = Math.ceil(start / hopLength); t < frames && t * hopLength < end; t++) states[t] = index;
  }
  return states;
}

/** The annotated frames of one recording (every `frameStride`-th) as feature rows and state indices. */
export interface AnnotatedFrames {
  readonly names: readonly string[];
  readonly rows: readonly Float64Array[];
  readonly labels: readonly number[];
}

export function annotatedFrames(
  { spectrogram, annotation }: AnnotatedSpectrogram,
  frameStride: number,
): AnnotatedFrames {
  const states = annotatedFrameStates(annotation, spectrogram.frames, spectrogram.config.hopLength);
  const { values, names } = heartSoundFrameFeatures(spectrogram);
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  for (let t = 0; t < spectrogram.frames; t += frameStride) {
    if (states[t] < 0) continue;
    rows.push(values.slice(t * names.length, (t + 1) * names.length));
    labels.push(states[t]);
  }
  return { names, rows, labels };
}

/** The segmentation model of a set of annotated recordings. */
export function fitSegmentationModel(
  recordings: readonly AnnotatedSpectrogram[],
  options: SegmentationFitOptions = DEFAULT_SEGMENTATION_FIT,
): HeartSoundSegmentationModel {
  return fitSegmentationModelOnFrames(
    recordings.map((r) => annotatedFrames(r, options.frameStride)),
    recordings.map((r) => r.annotation),
    options,
  );
}

/** fitSegmentationModel on frames already extracted (annotatedFrames), so several fits can share them. */
export function fitSegmentationModelOnFrames(
  frames: readonly AnnotatedFrames[],
  annotations: readonly HeartCycleAnnotation[],
  options: SegmentationFitOptions = DEFAULT_SEGMENTATION_FIT,
): HeartSoundSegmentationModel {
  const rows = frames.flatMap((f) => f.rows);
  const labels = frames.flatMap((f) => f.labels);
  if (rows.length === 0) throw new RangeError('no annotated frames to fit a segmentation model on');
  const counts = [0, 1, 2, 3].map((j) => labels.filter((y) => y === j).length);
  if (counts.some((c) => c === 0))
    throw new RangeError(
      `every state needs annotated frames, got ${counts.join(', ')} (S1, systole, S2, diastole)`,
    );
  const weights = fitMultinomialLogistic(rows, labels, 4, options);
  return {
    emission: {
      featureNames: [...frames[0].names],
      weights,
      logPriors: counts.map((c) => Math.log(c / rows.length)),
    },
    ...(options.fitDurations ? { durations: annotatedDurations(annotations) } : {}),
  };
}

const MIN_DURATION_SD_SEC = 0.01;

/**
 * S1 and S2 durations (mean and spread over every annotated sound) and the spread of systole around
 * each recording's own mean systole (the HSMM centres systole on the recording's estimate).
 */
export function annotatedDurations(
  annotations: readonly HeartCycleAnnotation[],
  sampleRate = 2000,
): SegmentationDurations {
  const s1: number[] = [];
  const s2: number[] = [];
  const systoleDeviations: number[] = [];
  for (const { segments } of annotations) {
    const systoles: number[] = [];
    for (const { state, start, end } of segments) {
      const seconds = (end - start) / sampleRate;
      if (state === 'S1') s1.push(seconds);
      else if (state === 'S2') s2.push(seconds);
      else if (state === 'systole') systoles.push(seconds);
    }
    if (systoles.length >= 2) {
      const mean = systoles.reduce((a, b) => a + b, 0) / systoles.length;
      systoleDeviations.push(...systoles.map((s) => s - mean));
    }
  }
  if (s1.length < 2 || s2.length < 2 || systoleDeviations.length < 2)
    throw new RangeError('too few annotated heart sounds to measure their durations');
  // At least one frame's worth (20 ms) over two: a spread of zero would give every other duration no probability.
  const spread = (values: number[], centre: number) =>
    Math.max(
      MIN_DURATION_SD_SEC,
      Math.sqrt(values.reduce((sum, v) => sum + (v - centre) ** 2, 0) / (values.length - 1)),
    );
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    s1: { meanSec: mean(s1), sdSec: spread(s1, mean(s1)) },
    s2: { meanSec: mean(s2), sdSec: spread(s2, mean(s2)) },
    systoleSdSec: spread(systoleDeviations, 0),
  };
}

/**
 * Softmax regression by full-batch Adam on standardised features; returns per class an intercept and
 * one weight per (unstandardised) feature. Deterministic.
 */
export function fitMultinomialLogistic(
  rows: readonly ArrayLike<number>[],
  labels: readonly number[],
  classes: number,
  options: Pick<SegmentationFitOptions, 'iterations' | 'learningRate' | 'l2'>,
): number[][] {
  const n = rows.length;
  const width = rows[0].length;
  const centre = new Float64Array(width);
  const scale = new Float64Array(width);
  for (const row of rows) for (let k = 0; k < width; k++) centre[k] += row[k] / n;
  for (const row of rows) for (let k = 0; k < width; k++) scale[k] += (row[k] - centre[k]) ** 2 / n;
  for (let k = 0; k < width; k++) scale[k] = Math.sqrt(scale[k]) || 1;
  const x = new Float64Array(n * width);
  rows.forEach((row, i) => {
    for (let k = 0; k < width; k++) x[i * width + k] = (row[k] - centre[k]) / scale[k];
  });
  const stride = width + 1;
  const w = new Float64Array(classes * stride);
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  const gradient = new Float64Array(w.length);
  const p = new Float64Array(classes);
  const [beta1, beta2] = [0.9, 0.999];
  for (let step = 1; step <= options.iterations; step++) {
    gradient.fill(0);
    for (let i = 0; i < n; i++) {
      let top = -Infinity;
      for (let j = 0; j < classes; j++) {
        let z = w[j * stride];
        for (let k = 0; k < width; k++) z += w[j * stride + k + 1] * x[i * width + k];
        p[j] = z;
        if (z > top) top = z;
      }
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += p[j] = Math.exp(p[j] - top);
      for (let j = 0; j < classes; j++) {
        const error = p[j] / sum - (labels[i] === j ? 1 : 0);
        gradient[j * stride] += error / n;
        for (let k = 0; k < width; k++) gradient[j * stride + k + 1] += (error * x[i * width + k]) / n;
      }
    }
    for (let q = 0; q < w.length; q++) {
      const g = gradient[q] + (q % stride === 0 ? 0 : options.l2 * w[q]);
      m[q] = beta1 * m[q] + (1 - beta1) * g;
      v[q] = beta2 * v[q] + (1 - beta2) * g * g;
      w[q] -=
        (options.learningRate * (m[q] / (1 - beta1 ** step))) /
        (Math.sqrt(v[q] / (1 - beta2 ** step)) + 1e-8);
    }
  }
  return Array.from({ length: classes }, (_, j) => {
    const intercept =
      w[j * stride] -
      Array.from({ length: width }, (_, k) => (w[j * stride + k + 1] * centre[k]) / scale[k]).reduce(
        (a, b) => a + b,
        0,
      );
    return [intercept, ...Array.from({ length: width }, (_, k) => w[j * stride + k + 1] / scale[k])];
  });
}
