import { describe, expect, it } from 'vitest';
import { niceStep } from '../components/history-chart';
import { chartBuckets, historyHref, historyQuery, parseHistoryFilters } from '../lib/history';

describe('history filters', () => {
  it('reads valid filters from the URL and drops invalid ones', () => {
    expect(
      parseHistoryFilters({ label: 'abnormal', from: '2026-05-01', to: 'yesterday', batch: 'x', page: '3' }),
    ).toEqual({
      label: 'abnormal',
      from: '2026-05-01',
      to: '',
      batchId: '',
      modelVersion: '',
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
      modelVersion: undefined,
      limit: 25,
      offset: 25,
    });
  });

  it('keeps the filters in page links', () => {
    const filters = parseHistoryFilters({ label: 'normal', page: '2' });
    expect(historyHref(filters, { page: 3 })).toBe('/history?label=normal&page=3');
    expect(historyHref(filters, { page: 1, label: '' })).toBe('/history');
  });

  it('keeps a model version filter in the URL and drops one that is not a version', () => {
    const filters = parseHistoryFilters({ model: '1.6.0' });
    expect(historyQuery(filters)).toMatchObject({ modelVersion: '1.6.0' });
    expect(historyHref(filters, { page: 2 })).toBe('/history?model=1.6.0&page=2');
    expect(parseHistoryFilters({ model: "1.6.0' or 1=1" }).modelVersion).toBe('');
  });
});

describe('history chart bars', () => {
  const counts = (bucket: 'hour' | 'day' | 'week', starts: [string, number][]) => ({
    bucket,
    buckets: starts.map(([start, normal]) => ({
      start,
      normal,
      abnormal: 1,
      unsure: 0,
      failed: 0,
      pending: 0,
      total: normal + 1,
    })),
    totals: { normal: 0, abnormal: 0, unsure: 0, failed: 0, pending: 0, total: 0 },
  });

  it('draws the empty days between counted days as zero bars, oldest first', () => {
    expect(
      chartBuckets(
        counts('day', [
          ['2026-05-01T00:00:00.000Z', 2],
          ['2026-05-03T00:00:00.000Z', 5],
        ]),
      ),
    ).toEqual([
      { start: '2026-05-01T00:00:00.000Z', normal: 2, abnormal: 1, unsure: 0, failed: 0, pending: 0 },
      { start: '2026-05-02T00:00:00.000Z', normal: 0, abnormal: 0, unsure: 0, failed: 0, pending: 0 },
      { start: '2026-05-03T00:00:00.000Z', normal: 5, abnormal: 1, unsure: 0, failed: 0, pending: 0 },
    ]);
  });

  it('fills by the bucket width the gateway used', () => {
    const bars = chartBuckets(
      counts('hour', [
        ['2026-05-01T09:00:00.000Z', 1],
        ['2026-05-01T12:00:00.000Z', 1],
      ]),
    );
    expect(bars.map((bar) => bar.start.slice(11, 13))).toEqual(['09', '10', '11', '12']);
  });

  it('leaves gaps out rather than drawing more than 400 bars', () => {
    const bars = chartBuckets(
      counts('hour', [
        ['2026-01-01T00:00:00.000Z', 1],
        ['2026-03-01T00:00:00.000Z', 1],
      ]),
    );
    expect(bars).toHaveLength(2);
  });
});

describe('history chart scale', () => {
  it('steps the gridlines by 1, 2 or 5 times a power of ten, about five of them', () => {
    expect(niceStep(3)).toBe(1);
    expect(niceStep(9)).toBe(2);
    expect(niceStep(23)).toBe(5);
    expect(niceStep(480)).toBe(100);
    expect(niceStep(10_000)).toBe(2000);
  });
});
