import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client } from 'pg';
import { runMigrations } from './migrate';

// A database of its own, so this test sees a truly empty one regardless of the shared test database.
const sharedUrl = new URL(inject('integrationEnv').DATABASE_URL);
const databaseName = `${sharedUrl.pathname.slice(1)}_migrate`;
const url = Object.assign(new URL(sharedUrl), { pathname: `/${databaseName}` }).toString();

async function onMaintenanceDatabase<T>(query: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionString: Object.assign(new URL(sharedUrl), { pathname: '/postgres' }).toString(),
  });
  await client.connect();
  try {
    return await query(client);
  } finally {
    await client.end();
  }
}

async function tableNames(): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
    );
    return result.rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}

describe('runMigrations', () => {
  afterAll(async () => {
    await onMaintenanceDatabase((client) =>
      client.query(`drop database if exists "${databaseName}" with (force)`),
    );
  });

  it('creates a missing database and applies every migration to it', async () => {
    await onMaintenanceDatabase((client) =>
      client.query(`drop database if exists "${databaseName}" with (force)`),
    );

    const outcome = await runMigrations(url);

    expect(outcome.createdDatabase).toBe(true);
    expect(outcome.applied).toBeGreaterThan(0);
    expect(outcome.applied).toBe(outcome.total);
    expect(await tableNames()).toEqual([
      'api_keys',
      'audit_events',
      'batches',
      'model_validation_scores',
      'model_versions',
      'predictions',
      'recordings',
      'site_calibrations',
      'sites',
      'training_runs',
      'training_samples',
    ]);
  });

  it('changes nothing when run a second time', async () => {
    const tablesBefore = await tableNames();

    const outcome = await runMigrations(url);

    expect(outcome).toMatchObject({ createdDatabase: false, applied: 0 });
    expect(await tableNames()).toEqual(tablesBefore);
  });

  it('is safe when several migrators start at once', async () => {
    const outcomes = await Promise.all([runMigrations(url), runMigrations(url), runMigrations(url)]);
    expect(outcomes.map((outcome) => outcome.applied)).toEqual([0, 0, 0]);
  });
});
