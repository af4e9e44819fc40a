// Wires each external system (Postgres, Redis, S3, BullMQ) to the repository that fronts it, and
// closes them all on shutdown. Services only ever see the repositories.
import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import {
  ApiKeysRepository,
  AuditRepository,
  BatchesRepository,
  connectDatabase,
  ModelVersionsRepository,
  PredictionsRepository,
  RecordingsRepository,
  ScreeningRepository,
  SitesRepository,
  TrainingRunsRepository,
  TrainingSamplesRepository,
  type DatabaseConnection,
} from '@heartbeat/db';
import { ModelRegistry } from '@heartbeat/model-registry';
import { connectRedis, listLiveWorkers, queueConnectionOf, RecordingHandoff } from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import type { Redis } from 'ioredis';
import { CONFIG, DATABASE_CONNECTION, REDIS } from '../common/tokens';
import { IdempotencyRepository } from './idempotency.repository';
import { PredictionQueueRepository } from './prediction-queue.repository';
import { RateLimitRepository } from './rate-limit.repository';
import { TrainingQueueRepository } from './training-queue.repository';
import { WorkerPresenceRepository } from './worker-presence.repository';

const databaseRepositories = [
  ApiKeysRepository,
  AuditRepository,
  BatchesRepository,
  ModelVersionsRepository,
  PredictionsRepository,
  RecordingsRepository,
  ScreeningRepository,
  SitesRepository,
  TrainingRunsRepository,
  TrainingSamplesRepository,
] as const;

/** Redis keys of the gateway itself (rate limits, idempotency) live under the queue prefix. */
const gatewayKeyPrefix = (config: Config) => `${config.queue.prefix}:gateway`;

@Injectable()
export class InfrastructureLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE_CONNECTION) private readonly database: DatabaseConnection,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(PredictionQueueRepository) private readonly queue: PredictionQueueRepository,
    @Inject(TrainingQueueRepository) private readonly trainingQueue: TrainingQueueRepository,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.queue.close(), this.trainingQueue.close(), this.database.close()]);
    this.redis.disconnect();
    this.storage.close();
  }
}

export const infrastructureProviders: Provider[] = [
  {
    provide: DATABASE_CONNECTION,
    useFactory: (config: Config) => connectDatabase(config.db.url, { poolSize: config.db.poolSize }),
    inject: [CONFIG],
  },
  {
    provide: REDIS,
    useFactory: (config: Config) => {
      const redis = connectRedis(queueConnectionOf(config), {
        maxRetriesPerRequest: 2,
        enableOfflineQueue: true,
      });
      // Connection errors surface on the requests that need Redis; ioredis reconnects by itself.
      redis.on('error', () => undefined);
      return redis;
    },
    inject: [CONFIG],
  },
  ...databaseRepositories.map((repository) => ({
    provide: repository,
    useFactory: (connection: DatabaseConnection) => new repository(connection.db),
    inject: [DATABASE_CONNECTION],
  })),
  {
    provide: ObjectStorage,
    useFactory: (config: Config) => ObjectStorage.fromSettings(config.s3),
    inject: [CONFIG],
  },
  {
    provide: PredictionQueueRepository,
    useFactory: (config: Config) => new PredictionQueueRepository(queueConnectionOf(config)),
    inject: [CONFIG],
  },
  {
    provide: TrainingQueueRepository,
    useFactory: (config: Config, redis: Redis) =>
      new TrainingQueueRepository(queueConnectionOf(config), redis),
    inject: [CONFIG, REDIS],
  },
  {
    provide: ModelRegistry,
    useFactory: (
      modelVersions: ModelVersionsRepository,
      storage: ObjectStorage,
      redis: Redis,
      audit: AuditRepository,
    ) => new ModelRegistry({ modelVersions, artifacts: storage, publisher: redis, audit }),
    inject: [ModelVersionsRepository, ObjectStorage, REDIS, AuditRepository],
  },
  {
    provide: RateLimitRepository,
    useFactory: (redis: Redis, config: Config) => new RateLimitRepository(redis, gatewayKeyPrefix(config)),
    inject: [REDIS, CONFIG],
  },
  {
    provide: IdempotencyRepository,
    useFactory: (redis: Redis, config: Config) => new IdempotencyRepository(redis, gatewayKeyPrefix(config)),
    inject: [REDIS, CONFIG],
  },
  {
    provide: RecordingHandoff,
    useFactory: (redis: Redis, config: Config) => new RecordingHandoff(redis, config.queue.prefix),
    inject: [REDIS, CONFIG],
  },
  {
    provide: WorkerPresenceRepository,
    useFactory: (redis: Redis, config: Config) =>
      new WorkerPresenceRepository(() => listLiveWorkers(redis, config.queue.prefix)),
    inject: [REDIS, CONFIG],
  },
  InfrastructureLifecycle,
];

/** What the rest of the gateway may inject (the lifecycle hook stays private). */
export const exportedInfrastructure = infrastructureProviders.flatMap((provider) =>
  provider === InfrastructureLifecycle ? [] : ['provide' in provider ? provider.provide : provider],
);
