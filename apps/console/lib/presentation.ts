// Pure helpers that turn gateway answers into what the pages show: dependency advice, durations,
// percentages, and the batch table's sorting and filtering.
import type { HealthReport, Prediction } from '@heartbeat/api-client';

export type Dependency = 'gateway' | 'database' | 'redis' | 'storage' | 'model';

export const DEPENDENCY_NAMES: Record<Dependency, string> = {
  gateway: 'Gateway (API)',
  database: 'PostgreSQL',
  redis: 'Redis (job queue)',
  storage: 'Object storage (S3)',
  model: 'Inference workers (model loaded)',
};

/** What someone on call should do when a dependency is down, in the order they would check it. */
export function dependencyAdvice(dependency: Dependency, gatewayUrl: string): string {
  switch (dependency) {
    case 'gateway':
      return `The console cannot reach the gateway at ${gatewayUrl}. Start it (npm run quickstart, or check the gateway pods: kubectl get pods -l app.kubernetes.io/component=gateway), then check HEARTBEAT_GATEWAY_URL. Screening is unavailable until it answers.`;
    case 'database':
      return "PostgreSQL does not answer the gateway: screening requests are answered 503 and retried by clients. Check the server (pg_isready) and the gateway's DATABASE_URL.";
    case 'redis':
      return "Redis does not answer: no job can be queued or picked up. Check it (redis-cli ping) and the services' REDIS_URL.";
    case 'storage':
      return 'Object storage does not answer: uploads are refused and workers cannot read recordings; jobs wait. Check the S3 server and S3_ENDPOINT / S3_BUCKET.';
    case 'model':
      return 'No inference worker is ready: jobs wait in the queue and are screened once one is. Start a worker (the quickstart does) and read its log; the first start registers the shipped model.';
  }
}

/** The dependencies that are down, gateway first; an unreachable gateway hides the rest (they are unknown). */
export function downDependencies(health: HealthReport | null): Dependency[] {
  if (!health) return ['gateway'];
  const down: Dependency[] = [];
  for (const dependency of ['database', 'redis', 'storage', 'model'] as const)
    if (health.checks[dependency] === 'down') down.push(dependency);
  return down;
}

export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds % 60} s`;
  return `${seconds} s`;
}

export function percent(value: number | null | undefined, digits = 1): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(digits)} %` : '—';
}

export function figure(value: unknown, digits = 3): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

export type SortKey = 'fileName' | 'label' | 'probability' | 'quality' | 'status';

export interface BatchRow {
  fileName: string;
  status: 'pending' | 'succeeded' | 'failed' | 'rejected';
  label: string | null;
  probability: number | null;
  quality: number | null;
  predictionId: string | null;
  /** In words, for a file that could not be screened. */
  error: string | null;
}

export function rowFromPrediction(prediction: Prediction): BatchRow {
  return {
    fileName: prediction.fileName ?? prediction.recordingId,
    status: prediction.status,
    label: prediction.label,
    probability: prediction.probability,
    quality: prediction.quality,
    predictionId: prediction.id,
    error: prediction.error ? `${prediction.error.message} (${prediction.error.code})` : null,
  };
}

/** Rows whose file name contains the text and whose label or status matches the filter ('all' keeps every row). */
export function filterRows(rows: BatchRow[], text: string, outcome: string): BatchRow[] {
  const needle = text.trim().toLowerCase();
  return rows.filter((row) => {
    if (needle && !row.fileName.toLowerCase().includes(needle)) return false;
    if (outcome === 'all') return true;
    if (outcome === 'errors') return row.status === 'failed' || row.status === 'rejected';
    return row.label === outcome;
  });
}

/** Sorted copy; rows without a value go last in both directions. */
export function sortRows(rows: BatchRow[], key: SortKey, direction: 'asc' | 'desc'): BatchRow[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
    return String(x).localeCompare(String(y), undefined, { numeric: true }) * sign;
  });
}

/** The window that pushed hardest towards abnormal: where a cardiologist should listen first. */
export function strongestWindow(
  windows: Prediction['windows'],
): { startSeconds: number; endSeconds: number; probability: number } | null {
  if (!windows || windows.length === 0) return null;
  return windows.reduce((best, window) => (window.probability > best.probability ? window : best));
}
