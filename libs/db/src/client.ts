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
