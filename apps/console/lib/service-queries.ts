// The PromQL behind each chart on the /metrics page (metric names from the services' registries:
// apps/gateway/src/telemetry/gateway-metrics.ts, apps/inference-worker/src/inference-metrics.ts).

export interface ServiceChart {
  id: string;
  title: string;
  unit: string;
  /** One query per line drawn; the legend comes from `name` or the series' labels. */
  queries: { name?: string; promql: string }[];
}

const quantile = (q: number, bucket: string, window = '5m') =>
  `histogram_quantile(${q}, sum by (le) (rate(${bucket}_bucket[${window}])))`;

export const SERVICE_CHARTS: ServiceChart[] = [
  {
    id: 'request-rate',
    title: 'Gateway requests per second, by status',
    unit: 'req/s',
    queries: [{ promql: 'sum by (status) (rate(heartbeat_gateway_http_requests_total[1m]))' }],
  },
  {
    id: 'latency',
    title: 'Gateway latency quantiles',
    unit: 's',
    queries: [0.5, 0.95, 0.99].map((q) => ({
      name: `p${q * 100}`,
      promql: quantile(q, 'heartbeat_gateway_http_request_duration_seconds'),
    })),
  },
  {
    id: 'queue',
    title: 'Prediction queue depth, by state',
    unit: 'jobs',
    queries: [{ promql: 'sum by (state) (heartbeat_gateway_queue_jobs)' }],
  },
  {
    id: 'backlog-age',
    title: 'Backlog age (oldest waiting job) and dead-letter jobs',
    unit: 's / jobs',
    queries: [
      { name: 'oldest waiting (s)', promql: 'max(heartbeat_gateway_queue_oldest_waiting_job_age_seconds)' },
      { name: 'dead-letter jobs', promql: 'max(heartbeat_gateway_dead_letter_jobs)' },
    ],
  },
  {
    id: 'job-outcomes',
    title: 'Inference jobs per second, by outcome',
    unit: 'jobs/s',
    queries: [{ promql: 'sum by (outcome) (rate(heartbeat_inference_jobs_total[1m]))' }],
  },
  {
    id: 'job-duration',
    title: 'Inference job duration (p50, p95)',
    unit: 's',
    queries: [0.5, 0.95].map((q) => ({
      name: `p${q * 100}`,
      promql: quantile(q, 'heartbeat_inference_job_duration_seconds'),
    })),
  },
  {
    id: 'batch-size',
    title: 'Inference batch size (windows per model call, p50 and p95)',
    unit: 'windows',
    queries: [0.5, 0.95].map((q) => ({
      name: `p${q * 100}`,
      promql: quantile(q, 'heartbeat_inference_batch_windows'),
    })),
  },
  {
    id: 'errors',
    title: 'Errors per second (gateway 5xx, failed inference jobs)',
    unit: '/s',
    queries: [
      {
        name: 'gateway 5xx',
        promql: 'sum(rate(heartbeat_gateway_http_requests_total{status=~"5.."}[1m])) or vector(0)',
      },
      {
        name: 'failed jobs',
        promql: 'sum(rate(heartbeat_inference_jobs_total{outcome!="succeeded"}[1m])) or vector(0)',
      },
    ],
  },
  { id: 'targets', title: 'Scrape targets up', unit: '', queries: [{ promql: 'up' }] },
];

/** A legend entry for a series: the query's name, else its most telling label. */
export function seriesName(queryName: string | undefined, labels: Record<string, string>): string {
  if (queryName) return queryName;
  for (const key of ['status', 'state', 'outcome', 'job'])
    if (labels[key] !== undefined) return `${key}=${labels[key]}`;
  const entries = Object.entries(labels).filter(([key]) => key !== '__name__');
  return entries.length === 0 ? 'value' : entries.map(([key, value]) => `${key}=${value}`).join(' ');
}
