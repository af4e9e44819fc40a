// Training worker: consumes training jobs (issue 6 adds the processor). For now it validates its
// configuration and serves /health/live, /health/ready and /metrics for the orchestrator.
import { ConfigError, loadConfig } from '@heartbeat/config';
import { createLogger, createMetricsRegistry, startTelemetryServer } from '@heartbeat/telemetry';

const SERVICE = 'training-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: SERVICE, level: config.logLevel });
  const telemetry = await startTelemetryServer({
    service: SERVICE,
    port: config.trainingWorker.metricsPort,
    registry: createMetricsRegistry({ service: SERVICE }),
  });
  logger.info(
    { port: telemetry.port },
    `HeartBeat ${SERVICE} up; probes and metrics on port ${telemetry.port}`,
  );
  const shutdown = () => void telemetry.close().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
