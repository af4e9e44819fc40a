// One Prometheus registry per process, labelled with the service name, with Node's default process
// metrics (CPU, memory, event-loop lag, GC) so every HeartBeat service exposes the same basics.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/**
 * prom-client's gauges that end in `_total` (a counter's suffix, which `promtool check metrics`
 * refuses); each is the sum of a per-type gauge it also exposes (nodejs_active_handles...).
 */
const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface MetricsRegistryOptions {
  /** Value of the `service` label on every metric, e.g. `inference-worker`. */
  service: string;
  /** Collect Node's process metrics (default true). */
  defaultMetrics?: boolean;
  /** Prefix of the default process metrics, e.g. `heartbeat_` (default none, the Prometheus convention). */
  defaultMetricsPrefix?: string;
}

export function createMetricsRegistry({
  service,
  defaultMetrics = true,
  defaultMetricsPrefix,
}: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (defaultMetrics) {
    collectDefaultMetrics({ register: registry, prefix: defaultMetricsPrefix });
    for (const name of MISNAMED_DEFAULT_GAUGES)
      registry.removeSingleMetric(`${defaultMetricsPrefix ?? ''}${name}`);
  }
  return registry;
}

/** The dependencies whose failures are counted, by their usual names. */
export type Dependency = 's3' | 'postgres' | 'redis';

/**
 * `heartbeat_dependency_errors_total{dependency, operation}`: calls to S3, PostgreSQL or Redis that
 * failed because the dependency was out of reach, by what the service was doing (a route, a job step).
 */
export function createDependencyErrorCounter(registry: Registry): Counter<'dependency' | 'operation'> {
  return new Counter({
    name: 'heartbeat_dependency_errors_total',
    help: 'Operations that failed because S3, PostgreSQL or Redis was out of reach, by dependency and operation (a route, a job step).',
    labelNames: ['dependency', 'operation'],
    registers: [registry],
  });
}
