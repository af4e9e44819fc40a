// Gateway entry point: validate configuration, then serve the REST API on PORT and the metrics and
// probes on GATEWAY_METRICS_PORT.
import 'reflect-metadata';
import { ConfigError, loadConfig } from '@heartbeat/config';
import { tuneGarbageCollection } from '@heartbeat/telemetry';
import { createGatewayApp } from './gateway-app';
import { GatewayTelemetry } from './telemetry/gateway-telemetry';

async function main(): Promise<void> {
  tuneGarbageCollection();
  const config = loadConfig();
  const app = await createGatewayApp(config);
  await app.listen(config.gateway.port, '0.0.0.0');
  const metricsPort = await app.get(GatewayTelemetry).start(config.gateway.metricsPort);
  console.log(`HeartBeat gateway listening on http://127.0.0.1:${config.gateway.port} (API docs at /docs, metrics on :${metricsPort}/metrics)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
