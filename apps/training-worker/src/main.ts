// Training worker: consumes training jobs (issue 6 adds the processor). For now it validates its
// configuration and serves /health and /metrics for the orchestrator.
import { ConfigError, loadConfig } from '@heartbeat/config';
import { SERVICE, startHealthServer } from './health-server';

async function main(): Promise<void> {
  const config = loadConfig();
  const server = await startHealthServer(config.trainingWorker.metricsPort);
  console.log(
    `HeartBeat ${SERVICE} up; health and metrics on http://127.0.0.1:${config.trainingWorker.metricsPort}/health`,
  );
  const shutdown = () => server.close(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
