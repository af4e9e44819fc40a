// Inference worker entry point. By default it supervises one worker process per CPU core it may use
// (INFERENCE_PROCESSES overrides; 1 runs the worker in this process): each consumes prediction jobs
// with the promoted model until SIGTERM/SIGINT, then finishes its in-flight jobs and exits.
import { ConfigError, loadConfig, type Config } from '@heartbeat/config';
import {
  createLogger,
  createMetricsRegistry,
  startTelemetryServer,
  tuneGarbageCollection,
  type Logger,
} from '@heartbeat/telemetry';
import { plannedProcesses } from './available-cores';
import { SERVICE, startInferenceWorker } from './inference-worker';
import { supervisedProcessNumber } from './supervision-protocol';
import { answerSupervisor, forkWorkerProcess, PARENT_CHANNEL } from './supervised-process';
import { WorkerSupervisor } from './worker-supervisor';

/** The first request stops gracefully; a second one (an impatient operator) exits at once. */
function shutdownOnRequest(logger: Logger, stop: () => Promise<void>): (reason: string) => void {
  let requests = 0;
  return (reason) => {
    requests += 1;
    if (requests > 1) {
      logger.warn({ reason }, 'Second stop request: exiting without waiting for in-flight jobs');
      process.exit(1);
    }
    logger.info({ reason }, 'Stop requested');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
}

async function runSingleProcess(config: Config, logger: Logger): Promise<void> {
  const worker = await startInferenceWorker({ config, logger });
  const requestStop = shutdownOnRequest(logger, () => worker.stop());
  process.on('SIGTERM', () => requestStop('SIGTERM'));
  process.on('SIGINT', () => requestStop('SIGINT'));
}

async function runSupervisedProcess(config: Config, logger: Logger, processNumber: number): Promise<void> {
  // The terminal's Ctrl-C reaches the whole process group; only the supervisor acts on it, and tells us.
  process.on('SIGINT', () => undefined);
  const configuredId = config.inferenceWorker.workerId;
  const worker = await startInferenceWorker({
    config,
    logger,
    serveTelemetry: false,
    workerId: configuredId === undefined ? undefined : `${configuredId}-${processNumber}`,
  });
  const requestStop = shutdownOnRequest(logger, () => worker.stop());
  process.on('SIGTERM', () => requestStop('SIGTERM'));
  answerSupervisor(worker, PARENT_CHANNEL, requestStop);
}

async function runSupervisor(config: Config, logger: Logger, processes: number): Promise<void> {
  const settings = config.inferenceWorker;
  const registry = createMetricsRegistry({ service: SERVICE });
  const supervisor = new WorkerSupervisor({
    processes,
    spawn: (index) => forkWorkerProcess(index),
    logger,
    registry,
    // Each process waits up to the shutdown timeout for its jobs; allow for its own clean-up on top.
    stopTimeoutMs: settings.shutdownTimeoutMs + 15_000,
  });
  const telemetry = await startTelemetryServer({
    service: SERVICE,
    port: settings.metricsPort,
    registry: { contentType: registry.contentType, metrics: () => supervisor.metrics() },
    live: () => true,
    ready: () => supervisor.readiness(),
  });
  supervisor.start();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      void supervisor.stop();
      return;
    }
    stopping = true;
    logger.info({ signal }, 'Signal received: stopping the worker processes after their in-flight jobs');
    supervisor
      .stop()
      .then(() => telemetry.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: (error as Error).message }, 'Shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function main(): Promise<void> {
  tuneGarbageCollection();
  const config = loadConfig();
  const logger = createLogger({ service: SERVICE, level: config.logLevel });
  const processNumber = supervisedProcessNumber(process.argv, process.send !== undefined);
  if (processNumber !== undefined) return runSupervisedProcess(config, logger, processNumber);
  const processes = plannedProcesses(config.inferenceWorker);
  if (processes === 1) return runSingleProcess(config, logger);
  return runSupervisor(config, logger, processes);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
