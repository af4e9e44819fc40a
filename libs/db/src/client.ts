// One connection pool per process, wrapped in a typed Drizzle instance that repositories receive.
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

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATE: connection exceptions (class 08), the server shutting down or starting (57P01-57P03), no free connection slot (53300).
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;
const DROPPED_CONNECTION = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/**
 * True when an error (or its cause: Drizzle wraps the driver's errors) says that PostgreSQL could
 * not be reached or lost the connection, as opposed to a query it refused; trying again later may work.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) return true;
    if (DROPPED_CONNECTION.test(current.message)) return true;
  }
  return false;
}
