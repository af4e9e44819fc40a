// One runner for every project. SWC compiles the TypeScript so NestJS gets its decorator metadata.
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const swcPlugin = () =>
  swc.vite({
    // The root .swcrc targets CommonJS for running apps; vitest needs ES modules.
    swcrc: false,
    module: { type: 'es6' },
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
  });

export default defineConfig({
  oxc: false,
  test: {
    projects: [
      {
        plugins: [swcPlugin()],
        oxc: false,
        test: {
          name: 'unit',
          include: [
            '{apps,libs,bench,scripts}/**/src/**/*.test.ts',
            '{apps,libs}/**/test/**/*.test.ts',
            '{helm,deploy,research,scripts}/**/test/**/*.test.ts',
            'test/*.test.ts',
          ],
          exclude: [
            '**/*.int.test.ts',
            '**/*.browser.test.ts',
            '**/node_modules/**',
            'helm/*/files/**',
            'apps/console/app/**',
            'apps/console/.next/**',
          ],
          environment: 'node',
          // Generous: several tests spawn the CLI or sox/ffmpeg, and a loaded 2-core machine is slow.
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        plugins: [swcPlugin()],
        oxc: false,
        test: {
          name: 'integration',
          include: ['{apps,libs,deploy}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          globalSetup: ['./test/integration-setup.ts'],
          // Every gateway response a test receives through fetch is held to the OpenAPI document.
          setupFiles: ['./test/openapi-fetch-check.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
