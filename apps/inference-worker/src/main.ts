// Inference worker entry point. By default it supervises one worker process per CPU core it may use
// (INFERENCE_PROCESSES overrides; 1 runs the worker in this process): each consumes prediction jobs
// with the promoted model until SIGTERM/SIGINT, then finishes its in-flight jobs and exits. What each
// role runs is built in composition-root.ts; this file loads the configuration and handles signals.
import { tracing } from './tracing';
import { ConfigError, loadConfig, type Config } from '@heartbeat/config';
import { createLogger, exitOnStartupFailure, tuneGarbageCollection, type Logger } from '@heartbeat/telemetry';
import { composeSupervisor, inferenceProcessRole, supervisedWorkerOptions } from './composition-root';
import { SERVICE, startInferenceWorker } from './inference-worker';
import { answerSupervisor, PARENT_CHANNEL, type ProcessStopper } from './supervised-process';

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
  const worker = await startInferenceWorker(supervisedWorkerOptions(config, logger, processNumber)).catch(
    (error: unknown) => {
      // The supervisor restarts us; meanwhile its readiness probe says why we are not serving.
      PARENT_CHANNEL.send({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
      throw error;
    },
  );
  process.off('disconnect', orphanedWhileStarting);
  const stopper = processStopper(logger, () => worker.stop());
  process.on('SIGTERM', () => stopper.stop('SIGTERM'));
  answerSupervisor(worker, PARENT_CHANNEL, stopper);
}

async function runSupervisor(config: Config, logger: Logger, processes: number): Promise<void> {
  const running = composeSupervisor(config, logger, processes);
  await running.start();
  const stopper = processStopper(logger, () => running.stop());
  // A second signal is passed on: the supervisor tells its processes to exit without their jobs.
  const onSignal = (signal: NodeJS.Signals) =>
    stopper.stopping ? void running.supervisor.stop() : stopper.stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function main(): Promise<void> {
  tuneGarbageCollection();
  const config = loadConfig();
  const logger = createLogger({ service: SERVICE, level: config.logLevel });
  const role = inferenceProcessRole(config, process.argv, process.send !== undefined);
  if (role.kind === 'supervised') return runSupervisedProcess(config, logger, role.processNumber);
  if (role.kind === 'supervisor') return runSupervisor(config, logger, role.processes);
  return runSingleProcess(config, logger);
}

main().catch((error: unknown) =>
  exitOnStartupFailure(SERVICE, error instanceof ConfigError ? error.message : error),
);
