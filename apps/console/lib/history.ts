// The history page's filters (from the URL) and its chart's buckets (predictions per day or hour by label).
import type { HistoryQuery, Label, Prediction } from '@heartbeat/api-client';

export const PAGE_SIZE = 25;
const LABELS: Label[] = ['normal', 'abnormal', 'unsure'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface HistoryFilters {
  label: Label | '';
  from: string;
  to: string;
  batchId: string;
  page: number;
}

/** Filters from the URL, ignoring values the gateway would refuse (and saying nothing is simpler than a 400 page). */
export function parseHistoryFilters(params: Record<string, string | string[] | undefined>): HistoryFilters {
  const one = (name: string) => {
    const value = params[name];
    return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  };
  const label = one('label');
  const page = Number.parseInt(one('page'), 10);
  return {
    label: (LABELS as string[]).includes(label) ? (label as Label) : '',
    from: DAY.test(one('from')) ? one('from') : '',
    to: DAY.test(one('to')) ? one('to') : '',
    batchId: UUID.test(one('batch')) ? one('batch') : '',
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

/** The gateway query: `to` is inclusive of its whole day. */
export function historyQuery(filters: HistoryFilters, page: { limit: number; offset: number }): HistoryQuery {
  const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
  return {
    label: filters.label || undefined,
    from: filters.from ? `${filters.from}T00:00:00Z` : undefined,
    to: filters.to ? nextDay(filters.to) : undefined,
    batchId: filters.batchId || undefined,
    ...page,
  };
}

export function historyHref(filters: HistoryFilters, changes: Partial<HistoryFilters>): string {
  const next = { ...filters, ...changes };
  const params = new URLSearchParams();
  if (next.label) params.set('label', next.label);
  if (next.from) params.set('from', next.from);
  if (next.to) params.set('to', next.to);
  if (next.batchId) params.set('batch', next.batchId);
  if (next.page > 1) params.set('page', String(next.page));
  const text = params.toString();
  return `/history${text ? `?${text}` : ''}`;
}

export interface Bucket {
  start: string;
  normal: number;
  abnormal: number;
  unsure: number;
  failed: number;
}

/** Counts per day (or per hour when the predictions span less than two days), oldest first. */
export function bucketByTime(items: Pick<Prediction, 'createdAt' | 'label' | 'status'>[]): {
  unit: 'hour' | 'day';
  buckets: Bucket[];
} {
  if (items.length === 0) return { unit: 'day', buckets: [] };
  const times = items.map((item) => Date.parse(item.createdAt));
  const span = Math.max(...times) - Math.min(...times);
  const unit = span < 2 * 86_400_000 ? 'hour' : 'day';
  const size = unit === 'hour' ? 3_600_000 : 86_400_000;
  const counts = new Map<number, Bucket>();
  items.forEach((item, index) => {
    const key = Math.floor(times[index] / size) * size;
    const bucket = counts.get(key) ?? {
      start: new Date(key).toISOString(),
      normal: 0,
      abnormal: 0,
      unsure: 0,
      failed: 0,
    };
    if (item.status === 'failed') bucket.failed++;
    else if (item.label === 'normal' || item.label === 'abnormal' || item.label === 'unsure')
      bucket[item.label]++;
    counts.set(key, bucket);
  });
  return { unit, buckets: [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([, bucket]) => bucket) };
}
