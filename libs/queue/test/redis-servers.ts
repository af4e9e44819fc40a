// Private Redis topologies for the tests that need one: a 3-node Redis Cluster and a primary watched
// by one Sentinel, each on free ports in its own folder, stopped and removed by stop(). The shared
// Redis on 6379 is never touched.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../../test/free-port';
import { startProcess, waitFor, type ServiceProcess } from '../../../test/real-stack';

export interface RunningTopology {
  ports: number[];
  stop(): Promise<void>;
}

/** Waits for PONG; fails at once if `server` exits first. */
function waitForPing(port: number, server?: ServiceProcess): Promise<true> {
  return waitFor(
    `redis-server on ${port} to answer PING`,
    async () => {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG' ? true : undefined;
      } finally {
        client.disconnect();
      }
    },
    { timeoutMs: 15_000, everyMs: 100, services: server ? [server] : [] },
  );
}

function startServer(dir: string, port: number, extra: string[]): ServiceProcess {
  return startProcess(`redis-server :${port}`, 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...extra,
  ]);
}

async function stopAll(servers: ServiceProcess[], dir: string): Promise<void> {
  await Promise.all(servers.map((server) => server.stop('SIGTERM', { killAfterMs: 10_000 })));
  rmSync(dir, { recursive: true, force: true });
}

/** Three primaries, no replicas, all 16,384 slots assigned (`redis-cli --cluster create`). */
export async function startRedisCluster(): Promise<RunningTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children = ports.map((port) =>
    startServer(dir, port, [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '2000',
    ]),
  );
  try {
    await Promise.all(ports.map((port, index) => waitForPing(port, children[index])));
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    // Every node must agree before clients route by slot.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = ports.map(
        (port) =>
          spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout ?? '',
      );
      if (states.every((info) => info.includes('cluster_state:ok'))) break;
      if (Date.now() > deadline) throw new Error('The test cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stopAll(children, dir);
    throw error;
  }
  return { ports, stop: () => stopAll(children, dir) };
}

/** A primary and one Sentinel watching it under `name`; ports = [primary, sentinel]. */
export async function startRedisSentinel(name: string): Promise<RunningTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-redis-sentinel-'));
  const [primary, sentinel] = [await freePort(), await freePort()];
  const children = [startServer(dir, primary, [])];
  try {
    await waitForPing(primary, children[0]);
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sentinel}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primary} 1`,
        `sentinel down-after-milliseconds ${name} 5000`,
        '',
      ].join('\n'),
    );
    const child = startProcess(`redis-sentinel :${sentinel}`, 'redis-server', [conf, '--sentinel']);
    children.push(child);
    await waitForPing(sentinel, child);
  } catch (error) {
    await stopAll(children, dir);
    throw error;
  }
  return { ports: [primary, sentinel], stop: () => stopAll(children, dir) };
}
