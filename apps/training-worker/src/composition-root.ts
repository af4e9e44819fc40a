// The training worker's composition root: the one place that turns validated configuration into
// connections (PostgreSQL, object storage, Redis, the training queue), one repository per external
// system, and the TrainingRunService they are injected into. No logic of its own; training-worker.ts
// runs what this builds, and tests build the service from fakes instead.
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
} from '@heartbeat/db';
import { ModelRegistry } from '@heartbeat/model-registry';
import { trainModelVersion } from '@heartbeat/model-training';
import {
  connectRedis,
  createQueue,
  queueConnectionOf,
  QUEUE_NAMES,
  type QueueConnection,
} from '@heartbeat/queue';
import { ObjectStorage, StorageUnavailableError } from '@heartbeat/storage';
import { createMetricsRegistry, type Logger } from '@heartbeat/telemetry';
import { ObjectStorageCheckpointStore } from './checkpoint-store';
import { DataSetAssembler } from './data-set';
import { ModelEvaluator } from './model-evaluator';
import { OutageWait } from './outage-wait';
import { RedisRunControl } from './run-control';
import { DatabaseSampleSource } from './sample-source';
import { AnnouncedSiteCalibrations } from './site-calibration-store';
import { reportingProgressTo, TrainingMetrics } from './training-metrics';
import { TrainingRunService } from './training-run.service';

export const SERVICE = 'training-worker';

/** Everything the running worker needs, built and connected, with one way to let it all go. */
export interface TrainingWorkerComponents {
  readonly config: Config;
  readonly logger: Logger;
  /** The training queue's Redis connection, for the job consumer. */
  readonly connection: QueueConnection;
  readonly storage: Pick<ObjectStorage, 'ensureBucket'>;
  readonly metricsRegistry: ReturnType<typeof createMetricsRegistry>;
  readonly metrics: TrainingMetrics;
  readonly service: TrainingRunService;
  /** Closes the queue, Redis, object storage and the database pool (each at most once). */
  release(): Promise<void>;
}

export function composeTrainingWorker(config: Config, logger: Logger): TrainingWorkerComponents {
  const warn = (message: string) => (error: Error) => logger.warn({ err: error.message }, message);
  const connection = queueConnectionOf(config);
  // One run at a time: a small pool is plenty.
  const database = connectDatabase(config.db.url, { poolSize: Math.min(4, config.db.poolSize) });
  const storage = ObjectStorage.fromSettings(config.s3);
  const redis = connectRedis(connection, { maxRetriesPerRequest: 2 });
  redis.on('error', warn('Redis connection problem'));
  const queue = createQueue(QUEUE_NAMES.training, connection, warn('Queue connection problem'));

  const registry = new ModelRegistry({
    modelVersions: new ModelVersionsRepository(database.db),
    artifacts: storage,
    publisher: redis,
    audit: new AuditRepository(database.db),
    onWarning: (message, error) => logger.warn({ err: (error as Error | undefined)?.message }, message),
  });
  const metricsRegistry = createMetricsRegistry({ service: SERVICE });
  const metrics = new TrainingMetrics(metricsRegistry);
  const service = new TrainingRunService({
    runs: reportingProgressTo(new TrainingRunsRepository(database.db), metrics),
    data: new DataSetAssembler(
      new DatabaseSampleSource({
        samples: new TrainingSamplesRepository(database.db),
        recordings: new RecordingsRepository(database.db),
      }),
      storage,
      { dir: config.training.baseDataDir, prefix: config.training.baseDataPrefix },
    ),
    trainer: { train: trainModelVersion },
    evaluator: new ModelEvaluator(),
    registry,
    sites: new AnnouncedSiteCalibrations(new SitesRepository(database.db), redis),
    checkpoints: new ObjectStorageCheckpointStore(storage),
    control: new RedisRunControl(redis, queue, { prefix: config.queue.prefix, holder: SERVICE }),
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
        metrics.dependencyFailed(dependency === 'Object storage' ? 's3' : 'postgres', step),
    }),
  });

  let released: Promise<void> | undefined;
  return {
    config,
    logger,
    connection,
    storage,
    metricsRegistry,
    metrics,
    service,
    release() {
      released ??= (async () => {
        await queue.close().catch(() => undefined);
        await redis.quit().catch(() => redis.disconnect());
        storage.close();
        await database.close();
      })();
      return released;
    },
  };
}
