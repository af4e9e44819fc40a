// @heartbeat/telemetry: Prometheus metrics, health probes, structured logs and heap tuning, the same for
// every service.
export { createMetricsRegistry, type MetricsRegistryOptions } from './metrics-registry';
export {
  startTelemetryServer,
  type MetricsSource,
  type ReadinessReport,
  type TelemetryServer,
  type TelemetryServerOptions,
} from './telemetry-server';
export { createLogger, silentLogger, type Logger, type LogLevel, type LoggerOptions } from './logger';
export { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
export { aggregateMetrics, type MetricsSnapshot } from './metrics-aggregate';
export { HEAP_GROWING_PERCENT, tuneGarbageCollection } from './garbage-collection';
