// The inference worker's composition root: from validated configuration, decides which of its three
// roles this process plays (a lone worker, a supervisor of one worker process per core, or one of
// those processes) and builds what that role runs. main.ts only loads the configuration, runs what
// this builds and handles signals; worker-connections.ts connects a worker to its external systems.
import type { Config } from '@heartbeat/config';
import { QUEUE_NAMES, queueConnectionOf, StalledJobReclaimer } from '@heartbeat/queue';
import { createMetricsRegistry, startTelemetryServer, type Logger } from '@heartbeat/telemetry';
import { availableCores, plannedProcesses } from './available-cores';
import { SERVICE, type InferenceWorkerOptions } from './inference-worker';
import { forkWorkerProcess } from './supervised-process';
import { supervisedProcessNumber } from './supervision-protocol';
import { WorkerSupervisor, type WorkerSupervisorOptions } from './worker-supervisor';

export type InferenceProcessRole =
  /** INFERENCE_PROCESSES=1 (or one usable core): the worker runs in this process. */
  | { kind: 'single' }
  /** Forked by a supervisor (its flag on the command line and an IPC channel to it). */
  | { kind: 'supervised'; processNumber: number }
  | { kind: 'supervisor'; processes: number };

export function inferenceProcessRole(
  config: Config,
  argv: readonly string[],
  hasParentChannel: boolean,
  cores = availableCores(),
): InferenceProcessRole {
  const processNumber = supervisedProcessNumber(argv, hasParentChannel);
  if (processNumber !== undefined) return { kind: 'supervised', processNumber };
  const processes = plannedProcesses(config.inferenceWorker, cores);
  return processes === 1 ? { kind: 'single' } : { kind: 'supervisor', processes };
}

/**
 * A supervised process serves no metrics port (the supervisor owns it and asks each process for its
 * report) and takes `<configured worker id>-<n>` as its id.
 */
export function supervisedWorkerOptions(
  config: Config,
  logger: Logger,
  processNumber: number,
): InferenceWorkerOptions {
  const configuredId = config.inferenceWorker.workerId;
  return {
    config,
    logger,
    serveTelemetry: false,
    workerId: configuredId === undefined ? undefined : `${configuredId}-${processNumber}`,
  };
}

export interface InferenceSupervisor {
  readonly supervisor: WorkerSupervisor;
  /** Serves the merged metrics and readiness on the configured port and starts the processes. */
  start(): Promise<void>;
  /** Stops the processes (their in-flight jobs first), then the reclaimer and the metrics port. */
  stop(): Promise<void>;
}

export function composeSupervisor(
  config: Config,
  logger: Logger,
  processes: number,
  spawn: WorkerSupervisorOptions['spawn'] = forkWorkerProcess,
): InferenceSupervisor {
  const settings = config.inferenceWorker;
  const registry = createMetricsRegistry({ service: SERVICE });
  const reclaimer = new StalledJobReclaimer(QUEUE_NAMES.predictions, queueConnectionOf(config));
  const supervisor = new WorkerSupervisor({
    processes,
    spawn,
    logger,
    registry,
    // Each process waits up to the shutdown timeout for its jobs; allow for its own clean-up on top.
    stopTimeoutMs: settings.shutdownTimeoutMs + 15_000,
    handBackJobs: (consumerId) => reclaimer.reclaim(consumerId),
  });
  let telemetry: Awaited<ReturnType<typeof startTelemetryServer>> | undefined;
  return {
    supervisor,
    async start() {
      telemetry = await startTelemetryServer({
        service: SERVICE,
        port: settings.metricsPort,
        registry: { contentType: registry.contentType, metrics: () => supervisor.metrics() },
        live: () => true,
        ready: () => supervisor.readiness(),
      });
      supervisor.start();
    },
    async stop() {
      await supervisor.stop();
      await reclaimer.close();
      await telemetry?.close();
    },
  };
}
