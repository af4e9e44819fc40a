import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '@heartbeat/config';
import { connectDatabase, isDatabaseUnavailable, type DatabaseConnection } from './client';
import { predictions } from './schema';

let url: string;
let connection: DatabaseConnection;

beforeAll(() => {
  url = loadConfig(inject('integrationEnv')).db.url;
  connection = connectDatabase(url, { poolSize: 2 });
});

afterAll(async () => {
  await connection.close();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const failureOf = (query: Promise<unknown>) =>
  query.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('isDatabaseUnavailable', () => {
  it('recognises a refused connection behind the error Drizzle wraps it in', async () => {
    const target = new URL(url);
    target.port = String(await closedPort());
    const unreachable = connectDatabase(target.toString(), { poolSize: 1 });
    try {
      const error = await failureOf(unreachable.db.select().from(predictions));
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(true);
      // The same network failure behind another adapter's error is not the database's.
      const refused = (error as Error).cause;
      expect(isDatabaseUnavailable(new Error('Object storage is unreachable', { cause: refused }))).toBe(
        false,
      );
    } finally {
      await unreachable.close();
    }
  });

  it('recognises a connection the server ended', async () => {
    const client = await connection.pool.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      await connection.pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      const error = await failureOf(client.query('select 1'));
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      client.release(true);
    }
  });

  it('survives a checked-out connection ending between two statements, and recognises the next one failing', async () => {
    const client = await connection.pool.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      await connection.pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      // The server's notice arrives while no statement runs: without a listener of ours it would be an
      // uncaught 'error' event, which Vitest reports as an unhandled error and fails the run.
      await ended;
      const error = await failureOf(client.query('select 1'));
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      client.release(true);
    }
    expect(await connection.ping()).toBe(true);
  });

  it('does not mistake a query the database refused for an outage', async () => {
    const error = await failureOf(connection.db.execute(sql`select * from no_such_table`));
    expect(error).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
