// Starts OpenTelemetry tracing for one service, configured only by the standard OTEL_* variables
// (endpoint, protocol including http/json, sampler, service name...) and off when none of them asks
// for traces. Import it from an entry point before anything else: the http, pg and ioredis
// instrumentations patch those modules as they are loaded. Kept apart from the lib's index so a
// service without tracing never loads the SDK.
import { IncomingMessage } from 'node:http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** What the SDK reads itself; the service reads nothing else (the SDK owns these variables). */
type Environment = Record<string, string | undefined>;

/** Paths that are polled all day and say nothing about a request's journey. */
const UNTRACED_PATHS = /^\/(health|uptime|metrics)(\/|$|\?)/;

/**
 * True when the environment asks for traces: an OTLP endpoint or a traces exporter is named, and
 * neither OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none turns them off. With nothing set the SDK
 * would export to localhost:4318 by default; a hospital install that did not ask for traces should
 * not send them anywhere.
 */
export function tracingRequested(env: Environment): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters =
    env.OTEL_TRACES_EXPORTER?.split(',')
      .map((name) => name.trim())
      .filter(Boolean) ?? [];
  if (exporters[0] === 'none') return false;
  return (
    exporters.length > 0 ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim())
  );
}

export interface Tracing {
  /** Exports the spans still buffered and stops; call before the process exits. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK when the environment asks for traces (undefined otherwise). The service name is
 * `service` unless OTEL_SERVICE_NAME says otherwise. Only traces: metrics stay with Prometheus and
 * logs with stdout.
 */
export function startTracing(
  service: string,
  // eslint-disable-next-line no-restricted-syntax -- the SDK reads its own standard OTEL_* variables; this only checks that one asks for traces
  env: Environment = process.env,
): Tracing | undefined {
  if (!tracingRequested(env)) return undefined;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ? undefined : service,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
        // Outgoing requests are S3 calls whose URLs are object keys (an integrator's keys may be file
        // names); the storage step gets a span of its own instead.
        disableOutgoingRequestInstrumentation: true,
      }),
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      // Only the command name: arguments hold job payloads and, for the recording hand-off, audio.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  return { shutdown: () => (stopped ??= sdk.shutdown().catch(() => undefined)) };
}
