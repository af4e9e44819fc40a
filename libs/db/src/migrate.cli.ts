// `npm run db:migrate`: creates the database if needed and applies migrations. Also the entry point
// of the Kubernetes migration Job. Exits non-zero with a readable message on failure.
import { loadConfig } from '@heartbeat/config';
import { runMigrations } from './migrate';

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function main(): Promise<void> {
  const { db } = loadConfig();
  const target = withoutPassword(db.url);
  const outcome = await runMigrations(db.url);
  if (outcome.createdDatabase) console.log(`Created database ${target}`);
  console.log(
    outcome.applied > 0
      ? `Applied ${outcome.applied} migration(s) to ${target} (${outcome.total} in total).`
      : `Database ${target} is up to date (${outcome.total} migration(s) applied earlier).`,
  );
}

main().catch((error: unknown) => {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
