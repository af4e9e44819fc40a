// Runs @hey-api/openapi-ts (types only) on an OpenAPI document. Shared by the generator and the
// test that checks the committed types are what the committed document gives.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..');
export const GENERATED_DIR = path.join(REPOSITORY_ROOT, 'libs/api-client/src/generated');
const OPENAPI_TS = path.join(REPOSITORY_ROOT, 'node_modules/@hey-api/openapi-ts/bin/run.js');

/** The text of `types.gen.ts` for `documentFile` (generated in a scratch folder, which the tool empties first). */
export async function generateApiClientTypes(documentFile: string): Promise<string> {
  const outputDir = await mkdtemp(path.join(tmpdir(), 'heartbeat-api-types-'));
  try {
    await promisify(execFile)(
      process.execPath,
      [
        OPENAPI_TS,
        '--input',
        documentFile,
        '--output',
        outputDir,
        '--plugins',
        '@hey-api/typescript',
        '--silent',
        '--no-log-file',
      ],
      { cwd: REPOSITORY_ROOT, timeout: 180_000 },
    );
    return await readFile(path.join(outputDir, 'types.gen.ts'), 'utf8');
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}
