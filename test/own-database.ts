// A test file that trains, promotes, rolls back or starts training runs leaves state the files after
// it would meet in a shared database (a promoted version, a queued run). Such a file takes a
// database and Redis prefix of its own, so the order of the files cannot matter.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect, inject } from 'vitest';
import { asAdministrator, withDatabase } from './integration-setup';

/**
 * The integration settings (inject('integrationEnv')) with a fresh database of this file's own,
 * cloned from the run's migrated template, and a Redis prefix of its own. Call it in beforeAll; the
 * integration setup drops the database when the run ends.
 */
export async function ownDatabaseEnv(): Promise<Record<string, string>> {
  const shared = inject('integrationEnv');
  const { template, clonePrefix } = inject('integrationDatabases');
  const file = path.basename(expect.getState().testPath ?? 'unnamed').replace(/\.(int\.)?test\.ts$/, '');
  const slug = file.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  // Postgres cuts names at 63 bytes: the random part must survive.
  const database = `${clonePrefix}${slug.slice(0, 63 - clonePrefix.length - 7)}_${randomBytes(3).toString('hex')}`;
  await asAdministrator(shared.DATABASE_URL, (client) =>
    client.query(`create database "${database}" template "${template}"`),
  );
  return {
    ...shared,
    DATABASE_URL: withDatabase(shared.DATABASE_URL, database),
    QUEUE_PREFIX: `${shared.QUEUE_PREFIX}:${slug}`,
  };
}
