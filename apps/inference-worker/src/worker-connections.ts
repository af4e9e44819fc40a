// The external systems an inference worker process uses, each behind its repositories: PostgreSQL,
// object storage and Redis (a client and a subscriber). Built in one place from validated
// configuration and closed in one place; the worker (inference-worker.ts) only uses them.
import type { Config } from '@heartbeat/config';
import {
  AuditRepository,
  BatchesRepository,
  connectDatabase,
  ModelVersionsRepository,
  PredictionsRepository,
  ScreeningRepository,
  SitesRepository,
} from '@heartbeat/db';
import {
  connectRedis,
  LoneJobMarks,
  QUEUE_NAMES,
  queueConnectionOf,
  RecordingHandoff,
  type QueueConnection,
} from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import type { Logger } from '@heartbeat/telemetry';

export interface InferenceWorkerConnections {
  readonly queueConnection: QueueConnection;
  readonly storage: ObjectStorage;
  /** Commands and publishing (model promotions, presence, the recording handoff). */
  readonly redis: ReturnType<typeof connectRedis>;
  /** A second connection in subscriber mode (promotions, site calibration changes). */
  readonly subscriber: ReturnType<typeof connectRedis>;
  readonly handoff: RecordingHandoff;
  /** Where a prediction job running alone is named, so a crash meanwhile blames it only. */
  readonly loneJobs: LoneJobMarks;
  readonly repositories: {
    readonly modelVersions: ModelVersionsRepository;
    readonly audit: AuditRepository;
    readonly sites: SitesRepository;
    readonly screening: ScreeningRepository;
    readonly predictions: PredictionsRepository;
    readonly batches: BatchesRepository;
  };
  /** Closes Redis, storage and the database pool. */
  close(): Promise<void>;
}

export function connectInferenceWorker(config: Config, logger: Logger): InferenceWorkerConnections {
  const database = connectDatabase(config.db.url, { poolSize: config.db.poolSize });
  const storage = ObjectStorage.fromSettings(config.s3);
  const queueConnection = queueConnectionOf(config);
  const redis = connectRedis(queueConnection, { maxRetriesPerRequest: 2 });
  const subscriber = redis.duplicate();
  for (const client of [redis, subscriber])
    client.on('error', (error: Error) => logger.warn({ err: error.message }, 'Redis connection problem'));
  return {
    queueConnection,
    storage,
    redis,
    subscriber,
    handoff: new RecordingHandoff(redis, config.queue.prefix),
    loneJobs: new LoneJobMarks(redis, queueConnection.prefix, QUEUE_NAMES.predictions, (error) =>
      logger.warn({ err: error.message }, 'Could not mark or unmark the job running alone'),
    ),
    repositories: {
      modelVersions: new ModelVersionsRepository(database.db),
      audit: new AuditRepository(database.db),
      sites: new SitesRepository(database.db),
      screening: new ScreeningRepository(database.db),
      predictions: new PredictionsRepository(database.db),
      batches: new BatchesRepository(database.db),
    },
    async close() {
      subscriber.disconnect();
      await redis.quit().catch(() => redis.disconnect());
      storage.close();
      await database.close();
    },
  };
}
