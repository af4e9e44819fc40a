// `npm run api-client:generate`: writes the gateway's OpenAPI document to
// libs/api-client/src/generated/openapi.json and the TypeScript types generated from it
// (@hey-api/openapi-ts) beside it. Builds the Nest application without listening, so it needs only
// what the gateway needs to start (PostgreSQL and Redis as configured; defaults: this machine's).
// A unit test holds the types to the committed document, and the gateway's integration test holds
// the committed document to what a running gateway serves.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '@heartbeat/config';
import { buildOpenApiDocument, createGatewayApp } from '../../apps/gateway/src/gateway-app';
import { generateApiClientTypes, GENERATED_DIR } from './generate-types';

async function main(): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    REDIS_URL: 'redis://127.0.0.1:6379',
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_BUCKET: 'heartbeat',
    S3_ACCESS_KEY_ID: 'unused',
    S3_SECRET_ACCESS_KEY: 'unused-secret',
    ...process.env,
    LOG_LEVEL: 'error',
  });
  const app = await createGatewayApp(config, { logger: ['error'] });
  try {
    const document = buildOpenApiDocument(app);
    await mkdir(GENERATED_DIR, { recursive: true });
    const documentFile = path.join(GENERATED_DIR, 'openapi.json');
    await writeFile(documentFile, `${JSON.stringify(document, null, 2)}\n`);
    await writeFile(path.join(GENERATED_DIR, 'types.gen.ts'), await generateApiClientTypes(documentFile));
    console.log(`${path.relative(process.cwd(), GENERATED_DIR)}: openapi.json and types.gen.ts written`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
