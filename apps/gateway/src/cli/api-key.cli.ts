// `npm run api-key -- create --role admin --name ops`: creates an API key and prints its secret once.
// Also `list` and `revoke <id>`. Talks to the database directly, so it works before the gateway runs.
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '@heartbeat/config';
import { ApiKeysRepository, AuditRepository, connectDatabase, SitesRepository } from '@heartbeat/db';
import { ApiKeysService } from '../auth/api-keys.service';

const ROLES = ['screening', 'admin'] as const;

function role(value: string): (typeof ROLES)[number] {
  if (!(ROLES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`role must be one of ${ROLES.join(', ')}`);
  return value as (typeof ROLES)[number];
}

async function withService<T>(
  action: (service: ApiKeysService, sites: SitesRepository) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const connection = connectDatabase(config.db.url, { poolSize: 2 });
  try {
    return await action(
      new ApiKeysService(new ApiKeysRepository(connection.db), new AuditRepository(connection.db)),
      new SitesRepository(connection.db),
    );
  } finally {
    await connection.close();
  }
}

const program = new Command('api-key').description('Manage HeartBeat gateway API keys');

program
  .command('create')
  .description('Create a key and print its secret (shown only once)')
  .requiredOption('--role <role>', 'screening (can predict) or admin (can also train and promote)', role)
  .requiredOption('--name <name>', 'who or what will use the key')
  .option('--site <site>', "the site whose calibration the key's screening requests use when they name none")
  .option('--json', 'print {id, name, role, secret} as JSON')
  .action(async (options: { role: (typeof ROLES)[number]; name: string; site?: string; json?: boolean }) => {
    const { apiKey, secret } = await withService(async (service, sites) => {
      const site = options.site === undefined ? undefined : await sites.findByName(options.site);
      if (options.site !== undefined && !site)
        throw new InvalidArgumentError(
          `No site named "${options.site}"; create it first (POST /api/v1/sites)`,
        );
      const created = await service.create({ role: options.role, name: options.name });
      if (site) await sites.setDefaultSiteOfKey(created.apiKey.id, site.id);
      return created;
    });
    if (options.json)
      console.log(JSON.stringify({ id: apiKey.id, name: apiKey.name, role: apiKey.role, secret }));
    else {
      console.log(`Created ${apiKey.role} key "${apiKey.name}" (id ${apiKey.id}).`);
      console.log(`Secret (store it now; it is not shown again):\n\n  ${secret}\n`);
      console.log(`Use it as "Authorization: Bearer ${secret.slice(0, 8)}..." or "X-API-Key: ...".`);
    }
  });

program
  .command('list')
  .description('List keys (never their secrets)')
  .action(async () => {
    const keys = await withService((service) => service.list());
    for (const key of keys)
      console.log(
        [
          key.id,
          key.role.padEnd(9),
          key.keyPrefix.padEnd(10),
          key.revokedAt ? 'revoked' : 'active ',
          key.lastUsedAt ?? 'never used',
          key.name,
        ].join('  '),
      );
  });

program
  .command('revoke <id>')
  .description('Revoke a key by id')
  .action(async (id: string) => {
    const key = await withService((service) => service.revoke(id));
    console.log(`Revoked key "${key.name}" (${key.id}).`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `api-key: ${(error as Error).message}`);
  process.exit(1);
});
