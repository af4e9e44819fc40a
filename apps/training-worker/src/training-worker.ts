// Runs the training worker that composition-root.ts builds: probes and metrics, recovery of runs a
// stopped worker left behind, one training job at a time, and an orderly stop. No logic of its own.
import type { Config } from '@heartbeat/config';
import { createWorker, QUEUE_NAMES, TRAINING_LEASE_TTL_MS, type JobWorker } from '@heartbeat/queue';
import { createLogger, startTelemetryServer, type Logger } from '@heartbeat/telemetry';
import { composeTrainingWorker, SERVICE, type TrainingWorkerComponents } from './composition-root';
import type { TrainingRunService } from './training-run.service';

export { SERVICE };

export interface TrainingWorkerOptions {
  config: Config;
  logger?: Logger;
}

export interface RunningTrainingWorker {
  readonly telemetryPort: number;
  readonly service: TrainingRunService;
  /** Stops taking jobs and waits for the current run (it resumes elsewhere if the process is killed). */
  stop(): Promise<void>;
}

/** Builds the worker from configuration and runs it (what main.ts does, in one call for tests). */
export async function startTrainingWorker(options: TrainingWorkerOptions): Promise<RunningTrainingWorker> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ service: SERVICE, level: config.logLevel });
  return runTrainingWorker(composeTrainingWorker(config, logger));
}

export async function runTrainingWorker(
  components: TrainingWorkerComponents,
): Promise<RunningTrainingWorker> {
  const { config, logger, service, metrics, storage, connection } = components;
  let worker: JobWorker<typeof QUEUE_NAMES.training> | undefined;
  let ready = false;
  let busy = false;
  let sweep: NodeJS.Timeout | undefined;
  const reportRecovered = (outcome: Awaited<ReturnType<TrainingRunService['recoverInterruptedRuns']>>) => {
    if (outcome.resumed.length + outcome.failed.length > 0)
      logger.warn(outcome, 'Found training runs left running by a stopped worker');
  };
  const telemetry = await startTelemetryServer({
    service: SERVICE,
    port: config.trainingWorker.metricsPort,
    registry: components.metricsRegistry,
    live: () => true,
    ready: () => ({ ready, checks: {} }),
  }).catch(async (error: unknown) => {
    await components.release();
    throw error;
  });
  const release = async () => {
    await components.release();
    await telemetry.close();
  };
  try {
    await storage.ensureBucket();
    reportRecovered(await service.recoverInterruptedRuns());
    worker = createWorker(
      QUEUE_NAMES.training,
      async (payload, job) => {
        busy = true;
        metrics.runStarted();
        // 'error': the run threw and its job will be retried.
        let status = 'error';
        try {
          const result = await service.process(payload, (progress) => {
            metrics.progressed(progress);
            return job.updateProgress(progress);
          });
          status = result.status;
          return result;
        } finally {
          metrics.runFinished(status);
          busy = false;
        }
      },
      {
        connection,
        concurrency: 1,
        onError: (error) => logger.warn({ err: error.message }, 'Queue connection problem'),
      },
    );
    await worker.waitUntilReady();
    ready = true;
    // A worker that died mid-run leaves its lease to expire; sweep again while idle to pick it up.
    sweep = setInterval(() => {
      if (busy) return;
      void service
        .recoverInterruptedRuns()
        .then(reportRecovered)
        .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'Recovery sweep failed'));
    }, TRAINING_LEASE_TTL_MS);
    sweep.unref();
  } catch (error) {
    await worker?.close().catch(() => undefined);
    await release();
    throw error;
  }
  logger.info(
    { port: telemetry.port },
    `HeartBeat ${SERVICE} ready; probes and metrics on port ${telemetry.port}`,
  );

  const running = worker;
  let stopped: Promise<void> | undefined;
  return {
    telemetryPort: telemetry.port,
    service,
    stop() {
      stopped ??= (async () => {
        ready = false;
        clearInterval(sweep);
        await running.close();
        await release();
      })();
      return stopped;
    },
  };
}
