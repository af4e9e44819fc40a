// Training worker: consumes training jobs one at a time (retrain and site calibration), and serves
// /health/live, /health/ready and /metrics for the orchestrator. Loads the configuration, builds the
// worker (composition-root.ts), runs it, and stops it on SIGTERM/SIGINT.
import { tracing } from './tracing';
import { ConfigError, loadConfig } from '@heartbeat/config';
import { createLogger, exitOnStartupFailure, tuneGarbageCollection } from '@heartbeat/telemetry';
import { composeTrainingWorker, SERVICE } from './composition-root';
import { runTrainingWorker } from './training-worker';

async function main(): Promise<void> {
  tuneGarbageCollection();
  const config = loadConfig();
  const logger = createLogger({ service: SERVICE, level: config.logLevel });
  const worker = await runTrainingWorker(composeTrainingWorker(config, logger));
  const shutdown = () =>
    void worker
      .stop()
      .then(() => tracing?.shutdown())
      .finally(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) =>
  exitOnStartupFailure(SERVICE, error instanceof ConfigError ? error.message : error),
);
