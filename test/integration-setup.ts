// Global setup of the integration project: checks that Postgres and Redis answer, creates a fresh
// database for this run and migrates it, starts a throw-away s3rver, and hands the resulting
// settings to the tests (inject('integrationEnv')). Everything is removed again at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@heartbeat/config';
import { runMigrations } from '@heartbeat/db';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { TestProject } from 'vitest/node';
import { freePort } from './free-port';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Environment for loadConfig() pointing at this run's database, Redis prefix and S3 server. */
    integrationEnv: Record<string, string>;
  }
}

const REPOSITORY_ROOT = path.resolve(__dirname, '..');
const S3RVER_BIN = path.join(REPOSITORY_ROOT, 'node_modules/s3rver/bin/s3rver.js');
const TEST_BUCKET = 'heartbeat-test';

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function assertPostgresAnswers(url: string): Promise<void> {
  const client = new Client({
    connectionString: withDatabase(url, 'postgres'),
    connectionTimeoutMillis: 5_000,
  });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `Integration tests need PostgreSQL at ${new URL(url).host} (DATABASE_URL), but it does not answer: ${(error as Error).message}.\n` +
        'Start it with `npm run stack:up` (or `pg_ctlcluster <version> main start`).',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function assertRedisAnswers(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Integration tests need Redis at ${new URL(url).host} (REDIS_URL), but it does not answer: ${(error as Error).message}.\n` +
        'Start it with `npm run stack:up` (or `redis-server --daemonize yes --port 6379`).',
      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * s3rver runs as a child process because it needs --openssl-legacy-provider (its ListObjectsV2
 * continuation tokens use a legacy cipher), which we do not want to impose on the test runner.
 */
async function startS3rver(directory: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      S3RVER_BIN,
      '--directory',
      directory,
      '--address',
      '127.0.0.1',
      '--port',
      String(port),
      '--silent',
      '--configure-bucket',
      TEST_BUCKET,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`s3rver exited with code ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/${TEST_BUCKET}?list-type=2&max-keys=1`);
      if (response.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`s3rver did not start on port ${port} within 15 s: ${stderr}`);
}

async function dropDatabase(url: string, database: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(`drop database if exists "${database}" with (force)`);
  } finally {
    await client.end();
  }
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = loadConfig(process.env);
  await Promise.all([assertPostgresAnswers(base.db.url), assertRedisAnswers(base.redis.url)]);

  // Per-process names, so two runs on one machine (or a developer's stack) never collide.
  const runId = `${process.pid}`;
  const database = `heartbeat_test_${runId}`;
  const databaseUrl = withDatabase(base.db.url, database);
  const queuePrefix = `heartbeat-test-${runId}`;

  await dropDatabase(base.db.url, database);
  await runMigrations(databaseUrl);

  const s3Directory = await mkdtemp(path.join(tmpdir(), 'heartbeat-s3rver-'));
  const s3Port = await freePort();
  const s3rver = await startS3rver(s3Directory, s3Port);

  const integrationEnv: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: base.redis.url,
    QUEUE_PREFIX: queuePrefix,
    S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
    S3_BUCKET: TEST_BUCKET,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: 'true',
  };
  project.provide('integrationEnv', integrationEnv);
  // Also exported to the environment, for tests that start app processes as children.
  Object.assign(process.env, integrationEnv);

  return async () => {
    s3rver.kill('SIGTERM');
    await Promise.allSettled([
      dropDatabase(base.db.url, database),
      deleteRedisKeys(base.redis.url, queuePrefix),
      rm(s3Directory, { recursive: true, force: true }),
    ]);
  };
}
