// Applies the checked-in drizzle-kit migrations. The CLI (`npm run db:migrate`), the Kubernetes Job
// and the integration tests all call runMigrations, so they cannot drift apart.
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Client } from 'pg';

export const MIGRATIONS_FOLDER = path.resolve(__dirname, '../migrations');

const MIGRATIONS_SCHEMA = 'drizzle';
const MIGRATIONS_TABLE = '__drizzle_migrations';
// Serialises concurrent migrators (several pods starting at once) on one database.
const MIGRATION_LOCK_ID = 7_402_118_113;

export interface MigrationOutcome {
  /** True when the database did not exist and was created. */
  createdDatabase: boolean;
  /** Migrations applied by this run; 0 when the schema was already current. */
  applied: number;
  /** Migrations recorded in the database after this run. */
  total: number;
}

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name)
    throw new Error(
      `DATABASE_URL names no database: add one after the host, e.g. ${url.replace(/\/?$/, '/heartbeat')}`,
    );
  return name;
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Creates the database named in `url` when it does not exist yet. Returns true if it created it. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const maintenanceUrl = new URL(url);
  maintenanceUrl.pathname = '/postgres';
  const client = new Client({ connectionString: maintenanceUrl.toString() });
  await client.connect();
  try {
    const existing = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (existing.rowCount) return false;
    try {
      await client.query(`create database ${quoteIdentifier(name)}`);
      return true;
    } catch (error) {
      // 42P04 duplicate_database: another migrator created it between our check and our create.
      if ((error as { code?: string }).code === '42P04') return false;
      throw error;
    }
  } finally {
    await client.end();
  }
}

async function countApplied(client: Client): Promise<number> {
  const table = await client.query('select to_regclass($1) as name', [
    `${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`,
  ]);
  if (!table.rows[0]?.name) return 0;
  const result = await client.query<{ count: string }>(
    `select count(*) from ${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`,
  );
  return Number(result.rows[0]?.count ?? 0);
}

/** Creates the database if missing and applies pending migrations; safe to run any number of times. */
export async function runMigrations(
  url: string,
  { migrationsFolder = MIGRATIONS_FOLDER } = {},
): Promise<MigrationOutcome> {
  const createdDatabase = await ensureDatabase(url);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const before = await countApplied(client);
      await migrate(drizzle({ client }), {
        migrationsFolder,
        migrationsSchema: MIGRATIONS_SCHEMA,
        migrationsTable: MIGRATIONS_TABLE,
      });
      const total = await countApplied(client);
      return { createdDatabase, applied: total - before, total };
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await client.end();
  }
}
