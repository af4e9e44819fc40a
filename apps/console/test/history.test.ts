import { describe, expect, it } from 'vitest';
import { bucketByTime, historyHref, historyQuery, parseHistoryFilters } from '../lib/history';

describe('history filters', () => {
  it('reads valid filters from the URL and drops invalid ones', () => {
    expect(
      parseHistoryFilters({ label: 'abnormal', from: '2026-05-01', to: 'yesterday', batch: 'x', page: '3' }),
    ).toEqual({
      label: 'abnormal',
      from: '2026-05-01',
      to: '',
      batchId: '',
      page: 3,
    });
    expect(parseHistoryFilters({ label: 'maybe', page: '-2' })).toMatchObject({ label: '', page: 1 });
  });

  it('makes `to` include its whole day and pages by offset', () => {
    const filters = parseHistoryFilters({ from: '2026-05-01', to: '2026-05-03', page: '2' });
    expect(historyQuery(filters, { limit: 25, offset: 25 })).toEqual({
      label: undefined,
      from: '2026-05-01T00:00:00Z',
      to: '2026-05-04T00:00:00.000Z',
      batchId: undefined,
      limit: 25,
      offset: 25,
    });
  });

  it('keeps the filters in page links', () => {
    const filters = parseHistoryFilters({ label: 'normal', page: '2' });
    expect(historyHref(filters, { page: 3 })).toBe('/history?label=normal&page=3');
    expect(historyHref(filters, { page: 1, label: '' })).toBe('/history');
  });
});

describe('history chart buckets', () => {
  it('counts per day by label over a long span, oldest first', () => {
    const { unit, buckets } = bucketByTime([
      { createdAt: '2026-05-03T10:00:00Z', label: 'normal', status: 'succeeded' },
      { createdAt: '2026-05-01T09:00:00Z', label: 'abnormal', status: 'succeeded' },
      { createdAt: '2026-05-01T23:00:00Z', label: 'normal', status: 'succeeded' },
      { createdAt: '2026-05-03T11:00:00Z', label: null, status: 'failed' },
    ]);
    expect(unit).toBe('day');
    expect(buckets).toEqual([
      { start: '2026-05-01T00:00:00.000Z', normal: 1, abnormal: 1, unsure: 0, failed: 0 },
      { start: '2026-05-03T00:00:00.000Z', normal: 1, abnormal: 0, unsure: 0, failed: 1 },
    ]);
  });

  it('counts per hour when everything happened within two days', () => {
    const { unit, buckets } = bucketByTime([
      { createdAt: '2026-05-01T09:10:00Z', label: 'unsure', status: 'succeeded' },
      { createdAt: '2026-05-01T09:50:00Z', label: 'unsure', status: 'succeeded' },
    ]);
    expect(unit).toBe('hour');
    expect(buckets).toEqual([
      { start: '2026-05-01T09:00:00.000Z', normal: 0, abnormal: 0, unsure: 2, failed: 0 },
    ]);
  });
});
