import { describe, expect, it } from 'vitest';
import type { LabelledRecording, ModelManifest } from '@heartbeat/model';
import {
  datasetFingerprint,
  leaveOneSubsetOut,
  splitByRecordHash,
  type SplitPolicy,
  splitPolicyOf,
  splitRecordings,
  stratifiedSplit,
} from './split';
import { validationRecordsOf } from '../training/train-model-version';

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

describe('split policies', () => {
  const manifestWith = (training: Record<string, unknown>) => ({ training }) as unknown as ModelManifest;

  it('divides by record hash into evaluation, validation and training with no record in two of them', () => {
    const policy = { kind: 'record-hash', evaluationFraction: 0.2, validationFraction: 0.25 } as const;
    const { training, validation, evaluation, heldOut } = splitRecordings(policy, recordings);
    expect(heldOut).toEqual([]);
    expect(training.length + validation.length + evaluation.length).toBe(recordings.length);
    expect(evaluation).toEqual(splitByRecordHash(recordings, 0.2, 'evaluation').held);
    const sides = [training, validation, evaluation].map((set) => new Set(set.map((r) => r.id)));
    expect(sides[0].size + sides[1].size + sides[2].size).toBe(new Set(recordings.map((r) => r.id)).size);
  });

  it("recomputes a record-hash version's validation records from its manifest, not a stratified draw", () => {
    const split = { kind: 'record-hash', evaluationFraction: 0.2, validationFraction: 0.2 };
    const manifest = manifestWith({ params: { seed: 7 }, split });
    const expected = splitRecordings(split as SplitPolicy, recordings).validation;
    expect(validationRecordsOf(manifest, recordings).map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(validationRecordsOf(manifest, recordings).map((r) => r.id)).not.toEqual(
      stratifiedSplit(recordings, 0.2, 7).validation.map((r) => r.id),
    );
  });

  it('reads the policy of manifests written before it was recorded from what their writers did', () => {
    expect(
      splitPolicyOf({ params: { seed: 7 }, validationFraction: 0.3, holdOutSubset: 'training-b' }, 1),
    ).toEqual({ kind: 'stratified', validationFraction: 0.3, seed: 7, holdOutSubset: 'training-b' });
    expect(splitPolicyOf({ params: { seed: 7 }, resumedFromEpoch: null }, 1)).toEqual({
      kind: 'record-hash',
      evaluationFraction: 0.2,
      validationFraction: 0.2,
    });
    expect(splitPolicyOf(undefined, 1)).toEqual({
      kind: 'stratified',
      validationFraction: 0.2,
      seed: 1,
      holdOutSubset: null,
    });
  });

  it('refuses a recorded policy it does not know', () => {
    expect(() => splitPolicyOf({ split: { kind: 'random', validationFraction: 0.2 } }, 1)).toThrow();
  });
});
