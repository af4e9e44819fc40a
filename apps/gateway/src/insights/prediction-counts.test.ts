import { describe, expect, it } from 'vitest';
import { pivotCounts, resolveBucket } from './insights.service';

const HOUR = 3_600_000;
const range = (hours: number) => ({ first: new Date(0), last: new Date(hours * HOUR) });

describe('resolveBucket', () => {
  it('keeps a bucket that was asked for', () => {
    expect(resolveBucket('week', range(1))).toBe('week');
  });

  it('picks hours under two days of predictions, days up to 26 weeks and weeks beyond', () => {
    expect(resolveBucket('auto', range(47))).toBe('hour');
    expect(resolveBucket(undefined, range(48))).toBe('day');
    expect(resolveBucket('auto', range(26 * 7 * 24))).toBe('day');
    expect(resolveBucket('auto', range(26 * 7 * 24 + 1))).toBe('week');
  });

  it('picks hours when nothing matches', () => {
    expect(resolveBucket('auto', undefined)).toBe('hour');
  });
});

describe('pivotCounts', () => {
  it('puts succeeded predictions under their label, the others under their status, one bucket per start', () => {
    const day = new Date('2026-05-01T00:00:00Z');
    const next = new Date('2026-05-02T00:00:00Z');
    const { buckets, totals } = pivotCounts([
      { start: next, status: 'succeeded', label: 'abnormal', total: 2 },
      { start: day, status: 'succeeded', label: 'normal', total: 5 },
      { start: day, status: 'failed', label: null, total: 1 },
      { start: day, status: 'pending', label: null, total: 3 },
    ]);
    expect(buckets).toEqual([
      { start: day.toISOString(), normal: 5, abnormal: 0, unsure: 0, failed: 1, pending: 3, total: 9 },
      { start: next.toISOString(), normal: 0, abnormal: 2, unsure: 0, failed: 0, pending: 0, total: 2 },
    ]);
    expect(totals).toEqual({ normal: 5, abnormal: 2, unsure: 0, failed: 1, pending: 3, total: 11 });
  });
});
