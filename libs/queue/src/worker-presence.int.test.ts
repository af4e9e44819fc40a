import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import {
  listLiveWorkers,
  workerPresenceKey,
  WorkerPresencePublisher,
  type WorkerState,
} from './worker-presence';

let redis: Redis;
let prefix: string;

beforeAll(() => {
  const config = loadConfig(inject('integrationEnv'));
  redis = new Redis(config.redis.url);
  // Under the run's prefix, so the global teardown removes anything a failed test leaves behind.
  prefix = `${config.queue.prefix}:presence`;
});

afterAll(() => redis.disconnect());

const state = (workerId: string, overrides: Partial<WorkerState> = {}): WorkerState => ({
  workerId,
  modelVersion: '1.0.0',
  backend: 'onnxruntime-cpu',
  ready: true,
  inFlight: 0,
  startedAt: new Date().toISOString(),
  ...overrides,
});

describe('worker presence', () => {
  it('lists every worker that published, with its model version and in-flight count', async () => {
    let inFlight = 0;
    const a = new WorkerPresencePublisher(redis, prefix, () => state('worker-a', { inFlight }));
    const b = new WorkerPresencePublisher(redis, prefix, () => state('worker-b', { modelVersion: '1.1.0' }));
    await Promise.all([a.start(), b.start()]);
    inFlight = 3;
    await a.publish();
    try {
      const workers = await listLiveWorkers(redis, prefix);
      expect(workers.map((w) => [w.workerId, w.modelVersion, w.inFlight])).toEqual([
        ['worker-a', '1.0.0', 3],
        ['worker-b', '1.1.0', 0],
      ]);
      expect(Date.parse(workers[0].lastSeen)).toBeGreaterThan(Date.now() - 5_000);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stores the key with the 15-second time to live so a dead worker disappears by itself', async () => {
    const publisher = new WorkerPresencePublisher(redis, prefix, () => state('worker-ttl'));
    await publisher.publish();
    const ttl = await redis.pttl(workerPresenceKey(prefix, 'worker-ttl'));
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(15_000);
    await publisher.stop();
  });

  it('drops a worker as soon as it stops, and once its key expires', async () => {
    const stopping = new WorkerPresencePublisher(redis, prefix, () => state('worker-stopping'));
    const dying = new WorkerPresencePublisher(redis, prefix, () => state('worker-dying'), { ttlMs: 200 });
    await Promise.all([stopping.publish(), dying.publish()]);
    await stopping.stop();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await listLiveWorkers(redis, prefix)).toEqual([]);
  });

  it('skips entries under the prefix that are not worker presence', async () => {
    await redis.set(`${prefix}:workers:garbage`, 'not json', 'PX', 5_000);
    await redis.set(`${prefix}:workers:wrong-shape`, JSON.stringify({ workerId: 1 }), 'PX', 5_000);
    expect(await listLiveWorkers(redis, prefix)).toEqual([]);
    await redis.del(`${prefix}:workers:garbage`, `${prefix}:workers:wrong-shape`);
  });
});
