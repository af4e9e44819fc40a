// drizzle-kit settings: `npm run db:generate` turns src/schema.ts into SQL migrations in ./migrations.
// Generation needs no database; applying them is `npm run db:migrate` (src/migrate.cli.ts).
import path from 'node:path';
import { defineConfig } from 'drizzle-kit';

const relativeToRoot = (file: string) => path.relative(process.cwd(), path.join(__dirname, file));

export default defineConfig({
  dialect: 'postgresql',
  schema: relativeToRoot('src/schema.ts'),
  out: relativeToRoot('migrations'),
  strict: true,
  verbose: true,
});
