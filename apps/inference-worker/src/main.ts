// Inference worker process: consumes prediction jobs with the promoted model until SIGTERM/SIGINT,
// then finishes its in-flight jobs and exits. One process per core is the intended deployment.
import { ConfigError, loadConfig } from '@heartbeat/config';
import { createLogger, tuneGarbageCollection } from '@heartbeat/telemetry';
import { SERVICE, startInferenceWorker } from './inference-worker';

async function main(): Promise<void> {
  tuneGarbageCollection();
  const config = loadConfig();
  const logger = createLogger({ service: SERVICE, level: config.logLevel });
  const worker = await startInferenceWorker({ config, logger });
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'Second signal: exiting without waiting for in-flight jobs');
      process.exit(1);
    }
    logger.info({ signal }, 'Signal received');
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
