// The queue on the Redis shapes a site may run instead of one server: a 3-node Redis Cluster (with
// the hash-tagged prefix the configuration requires) and a primary behind Sentinel. Each is started
// privately on free ports; the configuration is read by loadConfig as a deployment's would be.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import {
  connectRedis,
  createQueue,
  createWorker,
  listLiveWorkers,
  queueConnectionOf,
  QUEUE_NAMES,
  RecordingHandoff,
  StalledJobReclaimer,
  WorkerPresencePublisher,
  type PredictionResult,
  type QueueConnection,
} from '../src';
import { startRedisCluster, startRedisSentinel, type RunningTopology } from './redis-servers';

const JOBS = 24;

async function screensABatch(connection: QueueConnection): Promise<void> {
  const queue = createQueue(QUEUE_NAMES.predictions, connection, () => undefined);
  const redis = connectRedis(connection, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  const seen: string[] = [];
  const worker = createWorker(
    QUEUE_NAMES.predictions,
    async (payload, job): Promise<PredictionResult> => {
      const bytes = await new RecordingHandoff(redis, connection.prefix).take(payload.predictionId!);
      seen.push(`${job.id}:${bytes?.toString() ?? 'storage'}`);
      return {
        status: 'succeeded',
        predictionId: payload.predictionId,
        label: 'normal',
        probability: 0.2,
        quality: 0.9,
        windows: [],
        modelVersion: '1.6.0',
        latencyMs: 1,
      };
    },
    { connection, concurrency: 4, onError: () => undefined },
  );
  const presence = new WorkerPresencePublisher(redis, connection.prefix, () => ({
    workerId: 'topology-test',
    ready: true,
    inFlight: 0,
    startedAt: new Date().toISOString(),
  }));
  const reclaimer = new StalledJobReclaimer(QUEUE_NAMES.predictions, connection);
  try {
    await worker.waitUntilReady();
    await presence.start();
    const ids = Array.from({ length: JOBS }, () => randomUUID());
    const handoff = new RecordingHandoff(redis, connection.prefix);
    await handoff.offer(ids[0]!, Buffer.from('handed-off'));
    // A batch as the gateway queues it (prioritized, job id = prediction id) and one interactive job.
    await queue.bull.addBulk(
      ids.slice(1).map((predictionId) => ({
        name: QUEUE_NAMES.predictions,
        data: {
          schemaVersion: 1,
          recordingId: randomUUID(),
          storageKey: `recordings/${predictionId}`,
          predictionId,
          batchId: ids[1],
          requestedAt: new Date().toISOString(),
        },
        opts: { jobId: predictionId, priority: 10 },
      })) as never,
    );
    const interactive = await queue.add(
      {
        recordingId: randomUUID(),
        storageKey: `recordings/${ids[0]}`,
        predictionId: ids[0],
        requestedAt: new Date().toISOString(),
      },
      { jobId: ids[0] },
    );
    expect(await queue.waitForResult(interactive, 20_000)).toMatchObject({
      status: 'succeeded',
      predictionId: ids[0],
    });
    const deadline = Date.now() + 20_000;
    while ((await queue.bull.getCompletedCount()) < JOBS) {
      if (Date.now() > deadline)
        throw new Error(`only ${await queue.bull.getCompletedCount()} of ${JOBS} completed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toHaveLength(JOBS);
    expect(seen).toContain(`${ids[0]}:handed-off`);
    expect((await listLiveWorkers(redis, connection.prefix)).map((w) => w.workerId)).toEqual([
      'topology-test',
    ]);
    // Its Lua script reads keys by the job ids it finds: fine within the prefix's one slot.
    expect(await reclaimer.reclaim('no-such-consumer')).toEqual({ jobIds: [], notBlamed: [] });
  } finally {
    await presence.stop().catch(() => undefined);
    await worker.close();
    await reclaimer.close();
    await queue.bull.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
  }
}

describe('the queue on a 3-node Redis Cluster', () => {
  let cluster: RunningTopology;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('screens a batch and an interactive job with a hash-tagged prefix', async () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: cluster.ports.map((port) => `127.0.0.1:${port}`).join(','),
      QUEUE_PREFIX: '{heartbeat}',
    });
    const connection = queueConnectionOf(config);
    expect(connection.clusterNodes).toHaveLength(3);
    await screensABatch(connection);
  }, 60_000);
});

describe('the queue on a primary behind Redis Sentinel', () => {
  let sentinel: RunningTopology;
  beforeAll(async () => {
    sentinel = await startRedisSentinel('heartbeat-primary');
  }, 60_000);
  afterAll(() => sentinel?.stop());

  it('finds the primary through the Sentinel and screens a batch and an interactive job', async () => {
    const config = loadConfig({
      // Only the Sentinel's address is given; the URL's host is not used.
      REDIS_URL: 'redis://unused.invalid:6379',
      REDIS_SENTINELS: `127.0.0.1:${sentinel.ports[1]}`,
      REDIS_SENTINEL_NAME: 'heartbeat-primary',
    });
    await screensABatch(queueConnectionOf(config));
  }, 60_000);
});
