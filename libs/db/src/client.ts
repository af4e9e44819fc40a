// One connection pool per process, wrapped in a typed Drizzle instance that repositories receive.
import { DrizzleQueryError } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import * as schema from './schema';

export type Database = NodePgDatabase<typeof schema>;

export interface DatabaseConnection {
  db: Database;
  pool: Pool;
  /** True when a trivial query succeeds; for readiness probes. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function connectDatabase(
  url: string,
  { poolSize = 10 }: { poolSize?: number } = {},
): DatabaseConnection {
  const pool = new Pool({ connectionString: url, max: poolSize });
  // An idle client losing its connection (database restart) must not crash the process; the pool reconnects.
  pool.on('error', () => undefined);
  // Neither may a checked-out one (a transaction between two statements): the pool listens only to idle
  // clients, so the event would be unhandled. The statement in flight, or the next, fails with an error
  // isDatabaseUnavailable recognises, and the pool discards the client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzle({ client: pool, schema });
  return {
    db,
    pool,
    async ping() {
      try {
        await pool.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// SQLSTATE: connection exceptions (class 08), the server shutting down or starting (57P01-57P03), no free connection slot (53300).
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;
const DROPPED_CONNECTION =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/**
 * True when a driver error, or the one Drizzle wrapped, says that PostgreSQL could not be reached or
 * lost the connection, as opposed to a query it refused; trying again later may work. Only Drizzle's
 * wrapper is looked through, so another adapter's error caused by a network failure (S3's) is not
 * taken for the database's.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const driverError = error instanceof DrizzleQueryError ? error.cause : error;
  if (!(driverError instanceof Error)) return false;
  const code = (driverError as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code)))
    return true;
  return DROPPED_CONNECTION.test(driverError.message);
}
