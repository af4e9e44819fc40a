// Workers announce themselves in Redis so the gateway's /health can say which model versions are
// being served and by how many workers. Each key expires on its own when a worker dies, so the
// list never needs cleaning up: a worker is live exactly as long as it keeps refreshing its key.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { isCluster } from './redis-connection';

export const WORKER_PRESENCE_TTL_MS = 15_000;
export const WORKER_PRESENCE_REFRESH_MS = 5_000;

export const workerPresenceSchema = z.object({
  workerId: z.string().min(1),
  /** The model version this worker serves; undefined until one is loaded. */
  modelVersion: z.string().min(1).optional(),
  /** Runtime and device, e.g. onnxruntime-cpu, onnxruntime-cuda, tfjs-wasm. */
  backend: z.string().min(1).optional(),
  ready: z.boolean(),
  inFlight: z.number().int().nonnegative(),
  startedAt: z.iso.datetime({ offset: true }),
  lastSeen: z.iso.datetime({ offset: true }),
});

export type WorkerPresence = z.output<typeof workerPresenceSchema>;

/** What the worker reports about itself; the publisher adds lastSeen. */
export type WorkerState = Omit<WorkerPresence, 'lastSeen'>;

export function workerPresenceKey(prefix: string, workerId: string): string {
  return `${prefix}:workers:${workerId}`;
}

export interface WorkerPresenceOptions {
  ttlMs?: number;
  refreshMs?: number;
  /** Called when a refresh fails (Redis down); the next refresh tries again. */
  onError?: (error: Error) => void;
  now?: () => Date;
}

type PresenceRedis = Pick<Redis, 'set' | 'del'>;

/** Keeps one worker's presence key fresh; `state()` is read at every refresh. */
export class WorkerPresencePublisher {
  private timer?: NodeJS.Timeout;
  private readonly ttlMs: number;
  private readonly refreshMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly redis: PresenceRedis,
    private readonly prefix: string,
    private readonly state: () => WorkerState,
    private readonly options: WorkerPresenceOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? WORKER_PRESENCE_TTL_MS;
    this.refreshMs = options.refreshMs ?? WORKER_PRESENCE_REFRESH_MS;
    this.now = options.now ?? (() => new Date());
  }

  /** Publishes now and then every refresh interval until stop(). */
  async start(): Promise<void> {
    await this.publish();
    this.timer = setInterval(() => {
      this.publish().catch((error: unknown) => this.options.onError?.(error as Error));
    }, this.refreshMs);
    this.timer.unref();
  }

  /** Writes the current state immediately (after a model swap or a readiness change). */
  async publish(): Promise<WorkerPresence> {
    const presence = workerPresenceSchema.parse({ ...this.state(), lastSeen: this.now().toISOString() });
    await this.redis.set(
      workerPresenceKey(this.prefix, presence.workerId),
      JSON.stringify(presence),
      'PX',
      this.ttlMs,
    );
    return presence;
  }

  /** Stops refreshing and removes the key, so the worker disappears at once rather than after the TTL. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.del(workerPresenceKey(this.prefix, this.state().workerId));
  }
}

/** Every worker whose presence key has not expired, ordered by worker id. Malformed entries are skipped. */
export async function listLiveWorkers(
  redis: Pick<Redis, 'scan' | 'mget'>,
  prefix: string,
): Promise<WorkerPresence[]> {
  const keys: string[] = [];
  // A cluster answers SCAN from one node: ask every primary (with a hash-tagged prefix one holds them all).
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}:workers:*`, 'COUNT', 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const workers: WorkerPresence[] = [];
  for (const value of values) {
    if (value === null) continue; // expired between SCAN and MGET
    try {
      const parsed = workerPresenceSchema.safeParse(JSON.parse(value));
      if (parsed.success) workers.push(parsed.data);
    } catch {
      // not JSON: someone else's key under our prefix
    }
  }
  return workers.sort((a, b) => a.workerId.localeCompare(b.workerId));
}
