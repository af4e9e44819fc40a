// `npm run test:browser`: the console in Chromium against the real stack. Not part of `npm test`
// (it builds the console and starts every service: several minutes); test/integration-setup.ts
// gives the run its own database, Redis prefix and s3rver, as for the integration tests.
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.resolve(import.meta.dirname, '../..');

export default defineConfig({
  root,
  test: {
    name: 'browser',
    include: ['apps/console/test/**/*.browser.test.ts'],
    globalSetup: [path.join(root, 'test/integration-setup.ts')],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 360_000,
    hookTimeout: 600_000,
  },
});
