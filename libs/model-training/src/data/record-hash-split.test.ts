import { describe, expect, it } from 'vitest';
import type { LabelledRecording } from '@heartbeat/model';
import { splitByRecordHash } from './split';

const records = (label: 'normal' | 'abnormal', count: number, subset = 'training-a'): LabelledRecording[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `${label}-${i}`,
    path: `/data/${label}-${i}.wav`,
    label,
    subset,
  }));

describe('splitByRecordHash', () => {
  it('holds out the fraction of each label, at least one of each', () => {
    const { held, rest } = splitByRecordHash(
      [...records('normal', 10), ...records('abnormal', 3)],
      0.2,
      'evaluation',
    );
    expect(held.filter((r) => r.label === 'normal')).toHaveLength(2);
    expect(held.filter((r) => r.label === 'abnormal')).toHaveLength(1);
    expect(held.length + rest.length).toBe(13);
  });

  it('keeps a record on its side when more data arrives', () => {
    const before = splitByRecordHash(records('normal', 20), 0.2, 'evaluation');
    const after = splitByRecordHash(
      [...records('normal', 20), ...records('normal', 1, 'upload')],
      0.2,
      'evaluation',
    );
    const heldAfter = new Set(after.held.map((r) => r.id + r.subset));
    expect(before.held.filter((r) => heldAfter.has(r.id + r.subset)).length).toBeGreaterThanOrEqual(
      before.held.length - 1,
    );
  });

  it('holds nothing back from a label with a single record', () => {
    expect(splitByRecordHash(records('abnormal', 1), 0.5, 'evaluation').held).toEqual([]);
  });
});
