// Scores a heart-sound segmentation against a hand-corrected annotation the way the segmentation
// literature does (Springer et al. 2016): an S1 (S2) onset is found when the segmentation starts an S1
// (S2) within a tolerance (60 ms) of the annotated onset, each annotated onset matched at most once.
// Detections in stretches nobody annotated (noise, or after the last row) are neither right nor wrong;
// those inside noisy stretches are counted separately, as a rate.
import type { HeartSoundSegment } from '@heartbeat/audio';
import type { HeartCycleAnnotation } from './heart-cycle-annotation';

export const ONSET_TOLERANCE_SECONDS = 0.06;

export interface OnsetCounts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export interface SegmentationScore {
  S1: OnsetCounts;
  S2: OnsetCounts;
  /** S1 and S2 onsets the segmentation put inside annotated noisy stretches, and those stretches' length. */
  noisyOnsets: number;
  noisySeconds: number;
}

export interface OnsetMetrics {
  precision: number;
  recall: number;
  f1: number;
}

/** Compares `detected` (segmentHeartSounds's segments, 0-based samples) with an annotation of the same recording. */
export function scoreSegmentation(
  annotation: HeartCycleAnnotation,
  detected: readonly HeartSoundSegment[],
  sampleRate = 2000,
  toleranceSeconds = ONSET_TOLERANCE_SECONDS,
): SegmentationScore {
  const tolerance = toleranceSeconds * sampleRate;
  const inAnnotated = (sample: number) =>
    annotation.segments.some((s) => sample >= s.start && sample < s.end);
  const inNoise = (sample: number) => annotation.noisy.some((s) => sample >= s.start && sample < s.end);
  const score: SegmentationScore = {
    S1: { truePositives: 0, falsePositives: 0, falseNegatives: 0 },
    S2: { truePositives: 0, falsePositives: 0, falseNegatives: 0 },
    noisyOnsets: 0,
    noisySeconds: annotation.noisy.reduce((sum, s) => sum + (s.end - s.start), 0) / sampleRate,
  };
  for (const state of ['S1', 'S2'] as const) {
    const found = detected.filter((s) => s.state === state && s.start > 0).map((s) => s.start);
    const truth = annotation.onsets.filter((o) => o.state === state).map((o) => o.sample);
    const matched = matchWithin(truth, found, tolerance);
    const counts = score[state];
    counts.truePositives = matched.pairs;
    counts.falseNegatives = truth.length - matched.pairs;
    found.forEach((sample, i) => {
      if (matched.usedFound[i]) return;
      if (inAnnotated(sample)) counts.falsePositives++;
      else if (inNoise(sample)) score.noisyOnsets++;
    });
  }
  return score;
}

/** One-to-one matching of two sets of times, closest pairs first, pairs no further apart than `tolerance`. */
function matchWithin(
  truth: readonly number[],
  found: readonly number[],
  tolerance: number,
): { pairs: number; usedFound: boolean[] } {
  const candidates: { t: number; f: number; distance: number }[] = [];
  truth.forEach((a, t) =>
    found.forEach((b, f) => {
      const distance = Math.abs(a - b);
      if (distance <= tolerance) candidates.push({ t, f, distance });
    }),
  );
  candidates.sort((x, y) => x.distance - y.distance);
  const usedTruth = new Array<boolean>(truth.length).fill(false);
  const usedFound = new Array<boolean>(found.length).fill(false);
  let pairs = 0;
  for (const { t, f } of candidates) {
    if (usedTruth[t] || usedFound[f]) continue;
    usedTruth[t] = usedFound[f] = true;
    pairs++;
  }
  return { pairs, usedFound };
}

/** Sums scores of several recordings (a subset, or everything). */
export function addSegmentationScores(scores: readonly SegmentationScore[]): SegmentationScore {
  const total: SegmentationScore = {
    S1: { truePositives: 0, falsePositives: 0, falseNegatives: 0 },
    S2: { truePositives: 0, falsePositives: 0, falseNegatives: 0 },
    noisyOnsets: 0,
    noisySeconds: 0,
  };
  for (const score of scores) {
    for (const state of ['S1', 'S2'] as const)
      for (const key of ['truePositives', 'falsePositives', 'falseNegatives'] as const)
        total[state][key] += score[state][key];
    total.noisyOnsets += score.noisyOnsets;
    total.noisySeconds += score.noisySeconds;
  }
  return total;
}

/** Precision, recall and F1 of onset counts (one state, or S1 and S2 together: pass both). */
export function onsetMetrics(...counts: OnsetCounts[]): OnsetMetrics {
  const tp = counts.reduce((sum, c) => sum + c.truePositives, 0);
  const fp = counts.reduce((sum, c) => sum + c.falsePositives, 0);
  const fn = counts.reduce((sum, c) => sum + c.falseNegatives, 0);
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}
