// One Prometheus registry per process, labelled with the service name, with Node's default process
// metrics (CPU, memory, event-loop lag, GC) so every HeartBeat service exposes the same basics.
import { collectDefaultMetrics, Registry } from 'prom-client';

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
  if (defaultMetrics) collectDefaultMetrics({ register: registry, prefix: defaultMetricsPrefix });
  return registry;
}
