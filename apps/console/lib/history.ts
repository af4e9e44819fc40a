// The history page's filters (from the URL) and its chart's bars (the gateway's counts per hour, day
// or week by result, over every matching prediction).
import type { HistoryQuery, Label, PredictionCounts } from '@heartbeat/api-client';

export const PAGE_SIZE = 25;
const LABELS: Label[] = ['normal', 'abnormal', 'unsure'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MODEL_VERSION = /^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$/;

export interface HistoryFilters {
  label: Label | '';
  from: string;
  to: string;
  batchId: string;
  modelVersion: string;
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
    modelVersion: MODEL_VERSION.test(one('model')) ? one('model') : '',
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

/** The gateway query: `to` is inclusive of its whole day. Without a page: the filters alone (for the counts). */
export function historyQuery(
  filters: HistoryFilters,
  page?: { limit: number; offset: number },
): HistoryQuery {
  const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
  return {
    label: filters.label || undefined,
    from: filters.from ? `${filters.from}T00:00:00Z` : undefined,
    to: filters.to ? nextDay(filters.to) : undefined,
    batchId: filters.batchId || undefined,
    modelVersion: filters.modelVersion || undefined,
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
  if (next.modelVersion) params.set('model', next.modelVersion);
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
  pending: number;
}

const BUCKET_MS = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;
/** More bars than this and empty ones are left out rather than drawn (a chart stays readable). */
const MAX_FILLED_BUCKETS = 400;

/**
 * The gateway's counts (non-empty buckets only) as chart bars, with the empty hours, days or weeks
 * between them drawn as zero so that gaps in time look like gaps.
 */
export function chartBuckets(counts: PredictionCounts): Bucket[] {
  const bars = counts.buckets.map(({ start, normal, abnormal, unsure, failed, pending }) => ({
    start,
    normal,
    abnormal,
    unsure,
    failed,
    pending,
  }));
  if (bars.length < 2) return bars;
  const size = BUCKET_MS[counts.bucket];
  const first = Date.parse(bars[0]!.start);
  const last = Date.parse(bars.at(-1)!.start);
  if ((last - first) / size + 1 > MAX_FILLED_BUCKETS) return bars;
  const byStart = new Map(bars.map((bar) => [Date.parse(bar.start), bar]));
  const filled: Bucket[] = [];
  for (let time = first; time <= last; time += size)
    filled.push(
      byStart.get(time) ?? {
        start: new Date(time).toISOString(),
        normal: 0,
        abnormal: 0,
        unsure: 0,
        failed: 0,
        pending: 0,
      },
    );
  return filled;
}
