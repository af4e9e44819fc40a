// Liveness (the process answers), readiness (its dependencies answer) and the overall picture the
// prototype's /health gave, with "model loaded" as reported by live inference workers.
import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseConnection } from '@heartbeat/db';
import { ObjectStorage } from '@heartbeat/storage';
import type { Redis } from 'ioredis';
import { DATABASE_CONNECTION, REDIS } from '../common/tokens';
import { WorkerPresenceRepository, type LiveWorker } from '../infrastructure/worker-presence.repository';

const CHECK_TIMEOUT_MS = 2_000;

export type CheckStatus = 'up' | 'down';

export interface DependencyChecks {
  database: CheckStatus;
  redis: CheckStatus;
  storage: CheckStatus;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  service: 'gateway';
  uptimeSeconds: number;
  modelLoaded: boolean;
  /** Prototype field name of modelLoaded. */
  model_loaded: boolean;
  modelVersions: string[];
  checks: DependencyChecks & { api: CheckStatus; model: CheckStatus };
  workers: LiveWorker[];
}

async function within<T>(promise: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>(
    (resolve) => (timer = setTimeout(() => resolve(fallback), CHECK_TIMEOUT_MS)),
  );
  try {
    return await Promise.race([promise.catch(() => fallback), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

@Injectable()
export class HealthService {
  readonly startedAt = new Date();

  constructor(
    @Inject(DATABASE_CONNECTION) private readonly database: Pick<DatabaseConnection, 'ping'>,
    @Inject(REDIS) private readonly redis: Pick<Redis, 'ping'>,
    @Inject(ObjectStorage) private readonly storage: Pick<ObjectStorage, 'isReady'>,
    @Inject(WorkerPresenceRepository) private readonly workers: Pick<WorkerPresenceRepository, 'list'>,
  ) {}

  uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt.getTime()) / 1000);
  }

  async dependencies(): Promise<DependencyChecks> {
    const [database, redis, storage] = await Promise.all([
      within(this.database.ping(), false),
      within(
        this.redis.ping().then((answer) => answer === 'PONG'),
        false,
      ),
      within(this.storage.isReady(), false),
    ]);
    const status = (up: boolean): CheckStatus => (up ? 'up' : 'down');
    return { database: status(database), redis: status(redis), storage: status(storage) };
  }

  /** Ready to take requests: database, Redis and storage answer (workers may come later; jobs wait). */
  async readiness(): Promise<{ ready: boolean; checks: DependencyChecks }> {
    const checks = await this.dependencies();
    return { ready: Object.values(checks).every((status) => status === 'up'), checks };
  }

  async report(): Promise<HealthReport> {
    const [checks, workers] = await Promise.all([
      this.dependencies(),
      within(this.workers.list(), [] as LiveWorker[]),
    ]);
    const modelLoaded = workers.some((worker) => worker.ready);
    const dependenciesUp = Object.values(checks).every((status) => status === 'up');
    return {
      status: !dependenciesUp ? 'down' : modelLoaded ? 'ok' : 'degraded',
      service: 'gateway',
      uptimeSeconds: this.uptimeSeconds(),
      modelLoaded,
      model_loaded: modelLoaded,
      modelVersions: [
        ...new Set(workers.filter((w) => w.ready && w.modelVersion).map((w) => String(w.modelVersion))),
      ],
      checks: { api: 'up', ...checks, model: modelLoaded ? 'up' : 'down' },
      workers,
    };
  }
}
