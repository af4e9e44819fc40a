// The training module's own handles on Postgres, Redis, S3, the training queue and the model
// registry (the root module keeps its connections private), closed on shutdown.
import { Inject, Injectable, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Config } from '@heartbeat/config';
import {
  AuditRepository,
  connectDatabase,
  ModelVersionsRepository,
  RecordingsRepository,
  TrainingRunsRepository,
  TrainingSamplesRepository,
  type DatabaseConnection,
} from '@heartbeat/db';
import { ModelRegistry } from '@heartbeat/model-registry';
import { createQueue, QUEUE_NAMES, type JobQueue } from '@heartbeat/queue';
import { ObjectStorage } from '@heartbeat/storage';
import { Redis } from 'ioredis';
import { CONFIG } from '../common/tokens';

export const TRAINING_INFRASTRUCTURE = Symbol('TRAINING_INFRASTRUCTURE');

export interface TrainingInfrastructure {
  runs: TrainingRunsRepository;
  samples: TrainingSamplesRepository;
  recordings: RecordingsRepository;
  audit: AuditRepository;
  registry: ModelRegistry;
  storage: ObjectStorage;
  queue: JobQueue<typeof QUEUE_NAMES.training>;
  redis: Redis;
  /** Redis key prefix (QUEUE_PREFIX) shared with the training worker. */
  prefix: string;
  close(): Promise<void>;
}

function createTrainingInfrastructure(config: Config): TrainingInfrastructure {
  const database: DatabaseConnection = connectDatabase(config.db.url, { poolSize: 4 });
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  const storage = ObjectStorage.fromSettings(config.s3);
  const audit = new AuditRepository(database.db);
  const logger = new Logger('TrainingQueue');
  const queue = createQueue(
    QUEUE_NAMES.training,
    { redisUrl: config.redis.url, prefix: config.queue.prefix },
    (error) => logger.warn(`Queue connection problem: ${error.message}`),
  );
  return {
    runs: new TrainingRunsRepository(database.db),
    samples: new TrainingSamplesRepository(database.db),
    recordings: new RecordingsRepository(database.db),
    audit,
    registry: new ModelRegistry({
      modelVersions: new ModelVersionsRepository(database.db),
      artifacts: storage,
      publisher: redis,
      audit,
    }),
    storage,
    queue,
    redis,
    prefix: config.queue.prefix,
    async close() {
      await Promise.allSettled([queue.close(), database.close()]);
      redis.disconnect();
      storage.close();
    },
  };
}

@Injectable()
export class TrainingInfrastructureLifecycle implements OnApplicationShutdown {
  constructor(@Inject(TRAINING_INFRASTRUCTURE) private readonly infrastructure: TrainingInfrastructure) {}

  async onApplicationShutdown(): Promise<void> {
    await this.infrastructure.close();
  }
}

export const trainingInfrastructureProviders: Provider[] = [
  { provide: TRAINING_INFRASTRUCTURE, useFactory: createTrainingInfrastructure, inject: [CONFIG] },
  TrainingInfrastructureLifecycle,
];
