import type { HeartSoundSegment } from '@heartbeat/audio';
import { describe, expect, it } from 'vitest';
import { parseHeartCycleAnnotation } from './heart-cycle-annotation';
import { addSegmentationScores, onsetMetrics, scoreSegmentation } from './segmentation-score';

// Two beats at 2 kHz: S1 at 0.5 s and 1.5 s, S2 at 0.9 s and 1.9 s; annotated until 2.4 s.
const annotation = parseHeartCycleAnnotation(
  [
    '1,diastole',
    '1001,S1',
    '1241,systole',
    '1801,S2',
    '2001,diastole',
    '3001,S1',
    '3241,systole',
    '3801,S2',
    '4001,diastole',
    '4801,S1',
  ].join('\n'),
);

function segmentsAt(starts: [HeartSoundSegment['state'], number][], end = 6000): HeartSoundSegment[] {
  return starts.map(([state, start], i) => ({
    state,
    start,
    end: i + 1 < starts.length ? starts[i + 1][1] : end,
  }));
}

describe('scoreSegmentation', () => {
  it('counts every onset found when the segmentation starts each sound within 60 ms', () => {
    const detected = segmentsAt([
      ['diastole', 0],
      ['S1', 1000 + 110],
      ['systole', 1300],
      ['S2', 1800 - 119],
      ['diastole', 2000],
      ['S1', 3000],
      ['systole', 3240],
      ['S2', 3800],
      ['diastole', 4000],
      ['S1', 4800],
    ]);
    const score = scoreSegmentation(annotation, detected);
    expect(score.S1).toEqual({ truePositives: 3, falsePositives: 0, falseNegatives: 0 });
    expect(score.S2).toEqual({ truePositives: 2, falsePositives: 0, falseNegatives: 0 });
    expect(onsetMetrics(score.S1, score.S2)).toEqual({ precision: 1, recall: 1, f1: 1 });
  });

  it('misses an onset 61 ms away, and counts the late detection as a false positive', () => {
    const detected = segmentsAt([
      ['diastole', 0],
      ['S1', 1000 + 122],
      ['systole', 1300],
      ['S2', 1800],
      ['diastole', 2000],
    ]);
    const score = scoreSegmentation(annotation, detected);
    expect(score.S1).toEqual({ truePositives: 0, falsePositives: 1, falseNegatives: 3 });
    expect(score.S2).toEqual({ truePositives: 1, falsePositives: 0, falseNegatives: 1 });
  });

  it('does not credit an S2 where an S1 was annotated (S1 and S2 swapped)', () => {
    const swapped = segmentsAt([
      ['diastole', 0],
      ['S2', 1000],
      ['diastole', 1240],
      ['S1', 1800],
      ['systole', 2000],
    ]);
    const score = scoreSegmentation(annotation, swapped);
    expect(score.S1.truePositives + score.S2.truePositives).toBe(0);
    expect(score.S1.falsePositives + score.S2.falsePositives).toBe(2);
  });

  it('matches each annotated onset once, even with two detections near it', () => {
    const doubled = segmentsAt([
      ['diastole', 0],
      ['S1', 990],
      ['systole', 1020],
      ['S2', 1040],
      ['diastole', 1060],
      ['S1', 1030],
    ]);
    const score = scoreSegmentation(annotation, doubled);
    expect(score.S1.truePositives).toBe(1);
    expect(score.S1.falsePositives).toBe(1);
  });

  it('neither rewards nor penalises detections where nothing was annotated, and counts those in noise', () => {
    const noisy = parseHeartCycleAnnotation(
      ['1,S1', '201,systole', '601,S2', '801,diastole', '1601,(N', '5601,N)', '7001,S1'].join('\n'),
    );
    const detected = segmentsAt(
      [
        ['S1', 0],
        ['systole', 200],
        ['S2', 600],
        ['diastole', 800],
        ['S1', 2000],
        ['systole', 2200],
        ['S2', 2600],
        ['diastole', 2800],
        ['S1', 6000],
        ['systole', 6200],
        ['S2', 6600],
      ],
      8000,
    );
    const score = scoreSegmentation(noisy, detected);
    expect(score.S1).toEqual({ truePositives: 0, falsePositives: 0, falseNegatives: 1 });
    expect(score.S2).toEqual({ truePositives: 1, falsePositives: 0, falseNegatives: 0 });
    expect(score.noisyOnsets).toBe(2);
    expect(score.noisySeconds).toBe(2);
  });

  it('adds recordings up before the metrics are taken', () => {
    const perfect = scoreSegmentation(
      annotation,
      segmentsAt([
        ['S1', 1000],
        ['S2', 1800],
        ['S1', 3000],
        ['S2', 3800],
        ['S1', 4800],
      ]),
    );
    const empty = scoreSegmentation(annotation, []);
    const total = addSegmentationScores([perfect, empty]);
    expect(total.S1).toEqual({ truePositives: 3, falsePositives: 0, falseNegatives: 3 });
    const metrics = onsetMetrics(total.S1, total.S2);
    expect(metrics.precision).toBe(1);
    expect(metrics.recall).toBe(0.5);
    expect(metrics.f1).toBeCloseTo(2 / 3, 12);
  });
});
