// @heartbeat/telemetry: Prometheus metrics, health probes, structured logs, trace context and heap
// tuning, the same for every service. Starting the tracing SDK is '@heartbeat/telemetry/tracing'.
export {
  createDependencyErrorCounter,
  createMetricsRegistry,
  type Dependency,
  type MetricsRegistryOptions,
} from './metrics-registry';
export {
  readinessExposition,
  startTelemetryServer,
  type MetricsSource,
  type ReadinessReport,
  type TelemetryServer,
  type TelemetryServerOptions,
} from './telemetry-server';
export {
  activeTraceFields,
  createLogger,
  exitOnStartupFailure,
  silentLogger,
  type Logger,
  type LogLevel,
  type LoggerOptions,
} from './logger';
export { NestJsonLogger } from './nest-logger';
export {
  annotateActiveSpan,
  contextFromCarrier,
  currentTraceContext,
  withSpan,
  type SpanOptions,
} from './trace-context';
export { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
export { aggregateMetrics, type MetricsSnapshot } from './metrics-aggregate';
export { HEAP_GROWING_PERCENT, tuneGarbageCollection } from './garbage-collection';
