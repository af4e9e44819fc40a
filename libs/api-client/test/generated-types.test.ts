import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { generateApiClientTypes, GENERATED_DIR } from '../../../scripts/api-client/generate-types';

it('keeps the API client types generated from the committed OpenAPI document (npm run api-client:generate)', async () => {
  const generated = await generateApiClientTypes(path.join(GENERATED_DIR, 'openapi.json'));
  expect(generated).toBe(await readFile(path.join(GENERATED_DIR, 'types.gen.ts'), 'utf8'));
}, 180_000);
