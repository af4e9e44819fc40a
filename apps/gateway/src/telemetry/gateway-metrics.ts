// The gateway's Prometheus metrics: HTTP traffic by route, upload volume, batches and predictions
// submitted, the prediction queue's depth and backlog age and the dead-letter queue (read from
// BullMQ when scraped), and dependency failures by route.
import type { NextFunction, Request, Response } from 'express';
import {
  Counter,
  createDependencyErrorCounter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  type Dependency,
  type Registry,
} from '@heartbeat/telemetry';
import type {
  PredictionQueueBacklog,
  PredictionQueueDepth,
} from '../infrastructure/prediction-queue.repository';

export interface GatewayMetricsOptions {
  /** Reads the prediction queue's depth at scrape time; without it the gauge stays empty. */
  queueDepth?: () => Promise<PredictionQueueDepth>;
  /** Reads the oldest waiting job's age and the dead-letter queue's size at scrape time. */
  queueBacklog?: () => Promise<PredictionQueueBacklog>;
  /** Node's process metrics (default true; tests turn them off). */
  defaultMetrics?: boolean;
}

/** Route label of a request that matched no route (404s, static files of /docs). */
export const UNMATCHED_ROUTE = 'unmatched';

export class GatewayMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpRequestDuration: Histogram<'route' | 'method'>;
  readonly uploadedBytes: Counter;
  readonly uploadedFiles: Counter<'outcome'>;
  readonly batchesCreated: Counter;
  readonly predictionsQueued: Counter<'source'>;
  readonly staleBatchesEnded: Counter;
  readonly predictionsRequeued: Counter;
  readonly dependencyErrors: Counter<'dependency' | 'operation'>;

  constructor(options: GatewayMetricsOptions = {}) {
    const registry = createMetricsRegistry({
      service: 'gateway',
      defaultMetrics: options.defaultMetrics ?? true,
    });
    this.registry = registry;
    this.httpRequests = new Counter({
      name: 'heartbeat_gateway_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code (aborted: the client went away first)',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    });
    this.httpRequestDuration = new Histogram({
      name: 'heartbeat_gateway_http_request_duration_seconds',
      help: 'Time from the request arriving to the response being sent, by route template and method',
      labelNames: ['route', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.uploadedBytes = new Counter({
      name: 'heartbeat_gateway_upload_bytes_total',
      help: 'Bytes of recordings stored from uploads',
      registers: [registry],
    });
    this.uploadedFiles = new Counter({
      name: 'heartbeat_gateway_uploaded_files_total',
      help: 'Uploaded files, by outcome: stored, or rejected (unsupported format, too large)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.batchesCreated = new Counter({
      name: 'heartbeat_gateway_batches_created_total',
      help: 'Screening batches created',
      registers: [registry],
    });
    this.predictionsQueued = new Counter({
      name: 'heartbeat_gateway_predictions_queued_total',
      help: 'Prediction jobs queued, by source: predict (interactive /predict) or batch',
      labelNames: ['source'],
      registers: [registry],
    });
    this.staleBatchesEnded = new Counter({
      name: 'heartbeat_gateway_stale_batches_ended_total',
      help: 'Batches left receiving by a request that died part-way (e.g. its gateway stopped), failed by the stale-upload sweep',
      registers: [registry],
    });
    this.predictionsRequeued = new Counter({
      name: 'heartbeat_gateway_predictions_requeued_total',
      help: 'Pending predictions found without a job (request died before queueing it, or Redis lost it) and queued again by the sweep',
      registers: [registry],
    });
    this.dependencyErrors = createDependencyErrorCounter(registry);
    // One read of the backlog per scrape, shared by the two gauges that show it.
    let backlogRead: Promise<PredictionQueueBacklog | undefined> | undefined;
    const backlog = () => {
      backlogRead ??= (options.queueBacklog?.() ?? Promise.resolve(undefined))
        .catch(() => undefined)
        .finally(() => setTimeout(() => (backlogRead = undefined), 0));
      return backlogRead;
    };
    new Gauge({
      name: 'heartbeat_gateway_queue_oldest_waiting_job_age_seconds',
      help: 'Age of the oldest prediction job waiting to start, interactive or batch (0 when none waits)',
      registers: [registry],
      async collect() {
        const read = await backlog();
        if (read) this.set(read.oldestWaitingAgeSeconds);
      },
    });
    new Gauge({
      name: 'heartbeat_gateway_dead_letter_jobs',
      help: 'Jobs in the dead-letter queue: prediction or training jobs that failed for good, kept for inspection (GET /api/v1/dead-letter)',
      registers: [registry],
      async collect() {
        const read = await backlog();
        if (read) this.set(read.deadLetterJobs);
      },
    });
    const queueDepth = options.queueDepth;
    new Gauge({
      name: 'heartbeat_gateway_queue_jobs',
      help: 'Prediction jobs in the queue by state: waiting (not started yet), active (on a worker), delayed (waiting to be retried)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        if (!queueDepth) return;
        const depth = await queueDepth().catch(() => undefined);
        this.reset();
        if (!depth) return;
        for (const [state, jobs] of Object.entries(depth)) this.set({ state }, jobs);
      },
    });
  }

  /** Counts a request that failed because `dependency` was out of reach, under its route template. */
  dependencyFailed(dependency: Dependency, request: Request): void {
    this.dependencyErrors.inc({ dependency, operation: `${request.method} ${routeOf(request)}` });
  }

  /** Express middleware counting and timing every request under its route template (/api/v1/batches/:id). */
  httpMiddleware(): (request: Request, response: Response, next: NextFunction) => void {
    return (request, response, next) => {
      const started = process.hrtime.bigint();
      response.once('close', () => {
        const route = routeOf(request);
        const status = response.writableFinished ? String(response.statusCode) : 'aborted';
        this.httpRequests.inc({ route, method: request.method, status });
        this.httpRequestDuration.observe(
          { route, method: request.method },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
      });
      next();
    };
  }
}

/** The route template a request matched (/api/v1/batches/:id), or `unmatched`. */
function routeOf(request: Request): string {
  // req.route is set once Express matched a route; its path is the template, not the URL.
  const routePath = (request.route as { path?: unknown } | undefined)?.path;
  return typeof routePath === 'string' ? `${request.baseUrl}${routePath}` : UNMATCHED_ROUTE;
}
