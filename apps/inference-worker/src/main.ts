// Inference worker entry point. By default it supervises one worker process per CPU core it may use
// (INFERENCE_PROCESSES overrides; 1 runs the worker in this process): each consumes prediction jobs
// with the promoted model until SIGTERM/SIGINT, then finishes its in-flight jobs and exits.
import { tracing } from './tracing';
import { ConfigError, loadConfig, type Config } from '@heartbeat/config';
import { QUEUE_NAMES, queueConnectionOf, StalledJobReclaimer } from '@heartbeat/queue';
import {
  createLogger,
  createMetricsRegistry,
  exitOnStartupFailure,
  startTelemetryServer,
  tuneGarbageCollection,
  type Logger,
} from '@heartbeat/telemetry';
import { plannedProcesses } from './available-cores';
import { SERVICE, startInferenceWorker } from './inference-worker';
import { supervisedProcessNumber } from './supervision-protocol';
import {
  answerSupervisor,
  forkWorkerProcess,
  PARENT_CHANNEL,
  type ProcessStopper,
} from './supervised-process';
import { WorkerSupervisor } from './worker-supervisor';

/** Stops the worker once, gracefully; `exitNow` is for an operator who will not wait. */
function processStopper(
  logger: Logger,
  stop: () => Promise<void>,
): ProcessStopper & { readonly stopping: boolean } {
  let stopping = false;
  return {
    get stopping() {
      return stopping;
    },
    stop(reason) {
      if (stopping) return;
      stopping = true;
      logger.info({ reason }, 'Stop requested');
      stop().then(
        // Spans still buffered are exported before the process goes.
        () => tracing?.shutdown().finally(() => process.exit(0)) ?? process.exit(0),
        (error: unknown) => {
          logger.error({ err: (error as Error).message }, 'Shutdown failed');
          process.exit(1);
        },
      );
    },
    exitNow(reason) {
      logger.warn({ reason }, 'Exiting without waiting for in-flight jobs');
      process.exit(1);
    },
  };
}

async function runSingleProcess(config: Config, logger: Logger): Promise<void> {
  const worker = await startInferenceWorker({ config, logger });
  const stopper = processStopper(logger, () => worker.stop());
  const onSignal = (signal: NodeJS.Signals) =>
    stopper.stopping ? stopper.exitNow(`second signal (${signal})`) : stopper.stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function runSupervisedProcess(config: Config, logger: Logger, processNumber: number): Promise<void> {
  // The terminal's Ctrl-C reaches the whole process group; only the supervisor acts on it, and tells us.
  process.on('SIGINT', () => undefined);
  // Orphaned while still starting: nothing to finish yet.
  const orphanedWhileStarting = () => process.exit(1);
  process.once('disconnect', orphanedWhileStarting);
  const configuredId = config.inferenceWorker.workerId;
  const worker = await startInferenceWorker({
    config,
    logger,
    serveTelemetry: false,
    workerId: configuredId === undefined ? undefined : `${configuredId}-${processNumber}`,
  }).catch((error: unknown) => {
    // The supervisor restarts us; meanwhile its readiness probe says why we are not serving.
    PARENT_CHANNEL.send({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
    throw error;
  });
  process.off('disconnect', orphanedWhileStarting);
  const stopper = processStopper(logger, () => worker.stop());
  process.on('SIGTERM', () => stopper.stop('SIGTERM'));
  answerSupervisor(worker, PARENT_CHANNEL, stopper);
}

async function runSupervisor(config: Config, logger: Logger, processes: number): Promise<void> {
  const settings = config.inferenceWorker;
  const registry = createMetricsRegistry({ service: SERVICE });
  const reclaimer = new StalledJobReclaimer(QUEUE_NAMES.predictions, queueConnectionOf(config));
  const supervisor = new WorkerSupervisor({
    processes,
    spawn: (index) => forkWorkerProcess(index),
    logger,
    registry,
    // Each process waits up to the shutdown timeout for its jobs; allow for its own clean-up on top.
    stopTimeoutMs: settings.shutdownTimeoutMs + 15_000,
    handBackJobs: (consumerId) => reclaimer.reclaim(consumerId),
  });
  const telemetry = await startTelemetryServer({
    service: SERVICE,
    port: settings.metricsPort,
    registry: { contentType: registry.contentType, metrics: () => supervisor.metrics() },
    live: () => true,
    ready: () => supervisor.readiness(),
  });
  supervisor.start();
  const stopper = processStopper(logger, async () => {
    await supervisor.stop();
    await reclaimer.close();
    await telemetry.close();
  });
  // A second signal is passed on: the supervisor tells its processes to exit without their jobs.
  const onSignal = (signal: NodeJS.Signals) =>
    stopper.stopping ? void supervisor.stop() : stopper.stop(signal);
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

main().catch((error: unknown) =>
  exitOnStartupFailure(SERVICE, error instanceof ConfigError ? error.message : error),
);
