import { describe, expect, it } from 'vitest';
import type { LabelledRecording, ModelManifest } from '@heartbeat/model';
import { datasetFingerprint, leaveOneSubsetOut, stratifiedSplit } from './split';
import { validationRecordsOf } from '../training/train-command';

const recordings: LabelledRecording[] = ['a', 'b'].flatMap((subset) =>
  Array.from(
    { length: 50 },
    (_, i) =>
      ({
        id: `${subset}${i}`,
        path: '',
        subset: `training-${subset}`,
        label: i % 5 === 0 ? 'abnormal' : 'normal',
      }) as LabelledRecording,
  ),
);

describe('dataset splits', () => {
  it('holds out the fraction of every (subset, label) group', () => {
    const { validation, training } = stratifiedSplit(recordings, 0.2, 7);
    expect(validation).toHaveLength(20);
    expect(training).toHaveLength(80);
    for (const subset of ['training-a', 'training-b']) {
      expect(validation.filter((r) => r.subset === subset && r.label === 'abnormal')).toHaveLength(2);
      expect(validation.filter((r) => r.subset === subset && r.label === 'normal')).toHaveLength(8);
    }
  });

  it('is the same split for the same seed whatever the input order, and another for another seed', () => {
    const ids = (s: LabelledRecording[]) => s.map((r) => r.id).sort();
    expect(ids(stratifiedSplit([...recordings].reverse(), 0.2, 7).validation)).toEqual(
      ids(stratifiedSplit(recordings, 0.2, 7).validation),
    );
    expect(ids(stratifiedSplit(recordings, 0.2, 8).validation)).not.toEqual(
      ids(stratifiedSplit(recordings, 0.2, 7).validation),
    );
  });

  it('never puts a record in both parts', () => {
    const { validation, training } = stratifiedSplit(recordings, 0.3, 1);
    const held = new Set(validation.map((r) => r.id));
    expect(training.some((r) => held.has(r.id))).toBe(false);
  });

  it('leaves one subset out entirely', () => {
    const { training, validation } = leaveOneSubsetOut(recordings, 'training-b');
    expect(new Set(training.map((r) => r.subset))).toEqual(new Set(['training-a']));
    expect(validation).toHaveLength(50);
  });

  it("recomputes a model version's validation records from its manifest", () => {
    const manifest = {
      training: { params: { seed: 7 }, validationFraction: 0.2, holdOutSubset: null },
    } as unknown as ModelManifest;
    expect(validationRecordsOf(manifest, recordings).map((r) => r.id)).toEqual(
      stratifiedSplit(recordings, 0.2, 7).validation.map((r) => r.id),
    );
  });

  it('fingerprints the set of records and labels, not their order', () => {
    expect(datasetFingerprint([...recordings].reverse())).toBe(datasetFingerprint(recordings));
    const relabelled = recordings.map((r, i) => (i === 0 ? { ...r, label: 'normal' as const } : r));
    expect(datasetFingerprint(relabelled)).not.toBe(datasetFingerprint(recordings));
  });
});
