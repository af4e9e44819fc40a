// One way to reach Redis for every process, whichever shape the site runs: a single server
// (REDIS_URL), a Redis Cluster (REDIS_CLUSTER_NODES) or a primary watched by Sentinel (REDIS_SENTINELS).
// The URL's credentials and TLS (rediss://) apply to the cluster nodes and the Sentinel-chosen primary.
// On a cluster every key of ours must hash to one slot (BullMQ's Lua scripts touch many keys at
// once); the configuration refuses a QUEUE_PREFIX without a hash tag, e.g. `{heartbeat}`.
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '@heartbeat/config';
import type { QueueConnection } from './queues';

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: the URL alone, or with the nodes of a cluster or the Sentinels of a primary. */
export interface RedisTopology {
  /** redis:// or rediss:// URL; with a cluster or Sentinel only its credentials, TLS and database count. */
  redisUrl: string;
  clusterNodes?: readonly RedisNode[];
  sentinels?: readonly RedisNode[];
  /** The primary's name as the Sentinels know it (default `mymaster`). */
  sentinelName?: string;
}

/** Credentials, TLS and database of a redis:// URL, as ioredis options. */
export function redisUrlOptions(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  const db = Number(url.pathname.replace(/^\//, '') || 0);
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
  };
}

/** ioredis options for a single server or a Sentinel-watched primary (a cluster needs connectRedis). */
function serverOptions(topology: RedisTopology, options: RedisOptions): RedisOptions {
  if (topology.sentinels?.length)
    return {
      ...redisUrlOptions(topology.redisUrl),
      sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
      name: topology.sentinelName ?? 'mymaster',
      ...options,
    };
  return { url: topology.redisUrl, ...options } as RedisOptions;
}

/**
 * A client of the configured Redis. On a cluster this is an ioredis Cluster, typed as Redis: both
 * have the same commands (a cluster routes each to its key's node); `duplicate()`, `subscribe()`
 * and `quit()` work on both.
 */
export function connectRedis(topology: RedisTopology, options: RedisOptions = {}): Redis {
  if (topology.clusterNodes?.length) {
    const clusterOptions: ClusterOptions = {
      redisOptions: { ...redisUrlOptions(topology.redisUrl), ...options },
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      lazyConnect: options.lazyConnect,
    };
    return new Cluster(
      topology.clusterNodes.map(({ host, port }) => ({ host, port })),
      clusterOptions,
    ) as unknown as Redis;
  }
  if (topology.sentinels?.length) return new Redis(serverOptions(topology, options));
  return new Redis(topology.redisUrl, options);
}

export function isCluster(redis: unknown): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * What BullMQ is given for a connection: options for a single server or Sentinel (BullMQ makes and
 * closes the client), a Cluster instance for a cluster (BullMQ takes clusters only as instances and
 * leaves them open: `release` closes it once the BullMQ object is closed).
 */
export function bullConnection(
  connection: QueueConnection,
  options: RedisOptions,
): { connection: ConnectionOptions; release: () => void } {
  if (connection.clusterNodes?.length) {
    const cluster = connectRedis(connection, options) as unknown as Cluster;
    return { connection: cluster as unknown as ConnectionOptions, release: () => cluster.disconnect() };
  }
  return { connection: serverOptions(connection, options) as ConnectionOptions, release: () => undefined };
}

/** The queue connection the configuration describes (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS, QUEUE_PREFIX). */
export function queueConnectionOf(config: Pick<Config, 'redis' | 'queue'>): QueueConnection {
  const { url, clusterNodes, sentinels, sentinelName } = config.redis;
  return { redisUrl: url, clusterNodes, sentinels, sentinelName, prefix: config.queue.prefix };
}
