// Global setup of the integration project: checks that Postgres and Redis answer, migrates a
// template database for this run and clones the run's shared database from it, starts a throw-away
// s3rver, and hands the resulting settings to the tests (inject('integrationEnv')). Files that
// change what the files after them would see clone a database of their own from the same template
// (test/own-database.ts). Everything is removed again at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@heartbeat/config';
import { runMigrations } from '@heartbeat/db';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { TestProject } from 'vitest/node';
import { freePort } from './free-port';
import { REPOSITORY_ROOT, startProcess, waitFor, type ServiceProcess } from './real-stack';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Environment for loadConfig() pointing at this run's database, Redis prefix and S3 server. */
    integrationEnv: Record<string, string>;
    /** Where test/own-database.ts clones a file's own database from, and how it names the clones. */
    integrationDatabases: { template: string; clonePrefix: string };
  }
}

const S3RVER_BIN = path.join(REPOSITORY_ROOT, 'node_modules/s3rver/bin/s3rver.js');
const TEST_BUCKET = 'heartbeat-test';

export function withDatabase(url: string, database: string): string {
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
async function startS3rver(directory: string, port: number): Promise<ServiceProcess> {
  const s3rver = startProcess('s3rver', process.execPath, [
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
  ]);
  try {
    await waitFor(
      `s3rver on port ${port}`,
      async () =>
        (await fetch(`http://127.0.0.1:${port}/${TEST_BUCKET}?list-type=2&max-keys=1`)).ok || undefined,
      { timeoutMs: 15_000, everyMs: 100, services: [s3rver] },
    );
  } catch (error) {
    await s3rver.stop('SIGKILL');
    throw error;
  }
  return s3rver;
}

/** Runs `work` connected to the server's `postgres` database (to create and drop databases). */
export async function asAdministrator<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops `database` and every database named `${database}_...` (its template and the files' own clones). */
async function dropDatabases(url: string, database: string): Promise<void> {
  await asAdministrator(url, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'select datname from pg_database where datname = $1 or starts_with(datname, $2)',
      [database, `${database}_`],
    );
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  });
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
  const template = `${database}_template`;
  const queuePrefix = `heartbeat-test-${runId}`;

  await dropDatabases(base.db.url, database);
  // Migrated once; nobody connects to the template, so every clone of it starts from the same state.
  await runMigrations(withDatabase(base.db.url, template));
  await asAdministrator(base.db.url, (client) =>
    client.query(`create database "${database}" template "${template}"`),
  );

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
  project.provide('integrationDatabases', { template, clonePrefix: `${database}_own_` });
  // Also exported to the environment, for tests that start app processes as children.
  Object.assign(process.env, integrationEnv);

  return async () => {
    await s3rver.stop('SIGTERM', { killAfterMs: 5_000 });
    await Promise.allSettled([
      dropDatabases(base.db.url, database),
      deleteRedisKeys(base.redis.url, queuePrefix),
      rm(s3Directory, { recursive: true, force: true }),
    ]);
  };
}
