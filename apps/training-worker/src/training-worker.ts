// Wires the training worker together: Postgres, S3, Redis and BullMQ behind the collaborators of
// TrainingRunService, one training job at a time, probes and metrics. No logic of its own.
import type { Config } from '@heartbeat/config';
import {
  AuditRepository,
  connectDatabase,
  isDatabaseUnavailable,
  ModelVersionsRepository,
  RecordingsRepository,
  SitesRepository,
  TrainingRunsRepository,
  TrainingSamplesRepository,
  type TrainingSample,
} from '@heartbeat/db';
import { ModelRegistry } from '@heartbeat/model-registry';
import { decodeCheckpoint, encodeCheckpoint, trainModelVersion } from '@heartbeat/model-training';
import {
  createQueue,
  connectRedis,
  createWorker,
  isTrainingCancelRequested,
  isTrainingRunLeased,
  queueConnectionOf,
  QUEUE_NAMES,
  SITE_CALIBRATION_CHANGED_CHANNEL,
  trainingCancelKey,
  trainingLeaseKey,
  TRAINING_LEASE_TTL_MS,
  type JobWorker,
} from '@heartbeat/queue';
import { ObjectStorage, StorageUnavailableError } from '@heartbeat/storage';
import { createLogger, createMetricsRegistry, startTelemetryServer, type Logger } from '@heartbeat/telemetry';
import { DataSetAssembler } from './data-set';
import { ModelEvaluator } from './model-evaluator';
import { OutageWait } from './outage-wait';
import { reportingProgressTo, TrainingMetrics } from './training-metrics';
import { TrainingRunService, type CheckpointStore, type RunControl } from './training-run.service';

export const SERVICE = 'training-worker';

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

const SAMPLE_PAGE = 1000;

export async function startTrainingWorker(options: TrainingWorkerOptions): Promise<RunningTrainingWorker> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ service: SERVICE, level: config.logLevel });
  const connection = queueConnectionOf(config);
  const database = connectDatabase(config.db.url, { poolSize: Math.min(4, config.db.poolSize) });
  const storage = ObjectStorage.fromSettings(config.s3);
  const redis = connectRedis(connection, { maxRetriesPerRequest: 2 });
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'Redis connection problem'));
  const queue = createQueue(QUEUE_NAMES.training, connection, (error) =>
    logger.warn({ err: error.message }, 'Queue connection problem'),
  );
  const runs = new TrainingRunsRepository(database.db);
  const samples = new TrainingSamplesRepository(database.db);
  const recordings = new RecordingsRepository(database.db);
  const registry = new ModelRegistry({
    modelVersions: new ModelVersionsRepository(database.db),
    artifacts: storage,
    publisher: redis,
    audit: new AuditRepository(database.db),
    onWarning: (message, error) => logger.warn({ err: (error as Error | undefined)?.message }, message),
  });

  const checkpoints: CheckpointStore = {
    async save(runId, checkpoint) {
      const { header, weights } = encodeCheckpoint(checkpoint);
      const prefix = `training-runs/${runId}/checkpoint-epoch-${checkpoint.epoch}`;
      await storage.putAt(`${prefix}.bin`, weights, { contentType: 'application/octet-stream' });
      await storage.putAt(`${prefix}.json`, header, { contentType: 'application/json' });
      return `${prefix}.json`;
    },
    async load(key) {
      const header = (await storage.getBuffer(key)).toString('utf8');
      return decodeCheckpoint(header, await storage.getBuffer(key.replace(/\.json$/, '.bin')));
    },
  };
  const prefix = config.queue.prefix;
  const control: RunControl = {
    isCancelRequested: (runId) => isTrainingCancelRequested(redis, prefix, runId),
    clearCancel: async (runId) => void (await redis.del(trainingCancelKey(prefix, runId))),
    isLeased: (runId) => isTrainingRunLeased(redis, prefix, runId),
    async holdLease(runId) {
      const key = trainingLeaseKey(prefix, runId);
      const refresh = () => redis.set(key, SERVICE, 'PX', TRAINING_LEASE_TTL_MS);
      await refresh();
      const timer = setInterval(() => void refresh().catch(() => undefined), TRAINING_LEASE_TTL_MS / 3);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await redis.del(key);
      };
    },
    async requeue(runId, job, checkpointKey) {
      // One resume job per checkpoint: repeated sweeps before it runs do not pile up duplicates.
      const epoch = /checkpoint-epoch-(\d+)/.exec(checkpointKey ?? '')?.[1] ?? 'start';
      await queue.add(
        { runId, kind: job.kind, params: job.params },
        { jobId: `${runId}-resume-epoch-${epoch}` },
      );
    },
  };

  const metricsRegistry = createMetricsRegistry({ service: SERVICE });
  const trainingMetrics = new TrainingMetrics(metricsRegistry);
  const service = new TrainingRunService({
    runs: reportingProgressTo(runs, trainingMetrics),
    data: new DataSetAssembler(
      {
        async listSamples(filter) {
          const all: TrainingSample[] = [];
          for (let offset = 0; ; offset += SAMPLE_PAGE) {
            const page = await samples.list(filter, { limit: SAMPLE_PAGE, offset });
            all.push(...page.items);
            if (page.items.length < SAMPLE_PAGE) return all;
          }
        },
        findRecordings: (ids) => recordings.findByIds(ids),
      },
      storage,
      { dir: config.training.baseDataDir, prefix: config.training.baseDataPrefix },
    ),
    trainer: { train: trainModelVersion },
    evaluator: new ModelEvaluator(),
    registry,
    sites: Object.assign(new SitesRepository(database.db), {
      announce: (site: string) => redis.publish(SITE_CALIBRATION_CHANGED_CHANNEL, site),
    }),
    checkpoints,
    control,
    settings: {
      workDir: config.trainingWorker.workDir,
      modelCacheDir: config.inferenceWorker.modelCacheDir,
      evaluationFraction: config.training.evaluationFraction,
      promotionMinMaccGain: config.training.promotionMinMaccGain,
      promotionMaxSensitivityDrop: config.training.promotionMaxSensitivityDrop,
    },
    logger,
    outageWait: new OutageWait({
      unavailableDependency: (error) =>
        error instanceof StorageUnavailableError
          ? 'Object storage'
          : isDatabaseUnavailable(error)
            ? 'The database'
            : undefined,
      retryMs: config.trainingWorker.dependencyRetryMs,
      limitMs: config.trainingWorker.dependencyWaitLimitMs,
      onUnavailable: (dependency, step) =>
        trainingMetrics.dependencyFailed(dependency === 'Object storage' ? 's3' : 'postgres', step),
    }),
  });

  let worker: JobWorker<typeof QUEUE_NAMES.training> | undefined;
  let ready = false;
  let busy = false;
  let sweep: NodeJS.Timeout | undefined;
  const telemetry = await startTelemetryServer({
    service: SERVICE,
    port: config.trainingWorker.metricsPort,
    registry: metricsRegistry,
    live: () => true,
    ready: () => ({ ready, checks: {} }),
  });
  try {
    await storage.ensureBucket();
    const recovered = await service.recoverInterruptedRuns();
    if (recovered.resumed.length + recovered.failed.length > 0)
      logger.warn(recovered, 'Found training runs left running by a stopped worker');
    worker = createWorker(
      QUEUE_NAMES.training,
      async (payload, job) => {
        busy = true;
        trainingMetrics.runStarted();
        // 'error': the run threw and its job will be retried.
        let status = 'error';
        try {
          const result = await service.process(payload, (progress) => {
            trainingMetrics.progressed(progress);
            return job.updateProgress(progress);
          });
          status = result.status;
          return result;
        } finally {
          trainingMetrics.runFinished(status);
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
        .then((outcome) => {
          if (outcome.resumed.length + outcome.failed.length > 0)
            logger.warn(outcome, 'Found training runs left running by a stopped worker');
        })
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

  async function release(): Promise<void> {
    await queue.close().catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
    storage.close();
    await database.close();
    await telemetry.close();
  }

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
