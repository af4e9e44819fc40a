// Gateway entry point: validate configuration, then serve the REST API on PORT and the metrics and
// probes on GATEWAY_METRICS_PORT. Logs are JSON lines on stdout, like every service's.
import { tracing } from './tracing';
import 'reflect-metadata';
import { ConfigError, loadConfig } from '@heartbeat/config';
import { createLogger, exitOnStartupFailure, tuneGarbageCollection } from '@heartbeat/telemetry';
import { applyServerTimeouts, createGatewayApp } from './gateway-app';
import { GatewayTelemetry } from './telemetry/gateway-telemetry';

async function main(): Promise<void> {
  tuneGarbageCollection();
  const config = loadConfig();
  const logger = createLogger({ service: 'gateway', level: config.logLevel });
  const app = await createGatewayApp(config, { logger });
  // Nest closes the app on these signals; the spans still buffered go out meanwhile.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void tracing?.shutdown());
  await app.listen(config.gateway.port, config.gateway.host);
  applyServerTimeouts(app.getHttpServer());
  const metricsPort = await app.get(GatewayTelemetry).start(config.gateway.metricsPort);
  const shownHost =
    config.gateway.host === '0.0.0.0' || config.gateway.host === '::' ? '127.0.0.1' : config.gateway.host;
  logger.info(
    { host: config.gateway.host, port: config.gateway.port, metricsPort },
    `HeartBeat gateway listening on http://${shownHost}:${config.gateway.port} (bound to ${config.gateway.host}; API docs at /docs, metrics on :${metricsPort}/metrics)`,
  );
}

main().catch((error: unknown) =>
  exitOnStartupFailure('gateway', error instanceof ConfigError ? error.message : error),
);
