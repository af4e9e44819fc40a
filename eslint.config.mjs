import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      'apps/console/next-env.d.ts',
      'tmp/**',
      '.cache/**',
      '.local-stack/**',
      '**/dist/**',
      '**/.next/**',
      'libs/db/migrations/**',
      'coverage/**',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read settings through @heartbeat/config, which validates them at start-up.',
        },
      ],
    },
  },
  {
    files: [
      'libs/config/**',
      'scripts/**',
      'research/**',
      'test/**',
      'bench/**',
      '**/*.int.test.ts',
      'vitest.config.mts',
      'bin/**',
      'apps/console/**',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: [
      'bin/**/*.js',
      'bench/**/*.cjs',
      'scripts/**/*.js',
      'scripts/**/*.mjs',
      'apps/*/src/**/*.js',
      'libs/*/src/**/*.js',
    ],
    languageOptions: {
      globals: { require: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    // The serving path (the model lib, the registry, the inference worker, the gateway, the CLI's
    // classify) loads neither TensorFlow.js nor the training code; libs/model/test/
    // serving-import-graph.test.ts checks what a process really loads.
    files: [
      'libs/model/src/**/*.ts',
      'libs/model-registry/src/**/*.ts',
      'apps/inference-worker/src/**/*.ts',
      'apps/gateway/src/**/*.ts',
      'apps/cli/src/{main,classify-command,screen-file,screening-pool,screening-worker-main}.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tensorflow/*', '@heartbeat/model-training', '@heartbeat/model-training/*'],
              message:
                'Serving code does not load TensorFlow.js or training code: that is @heartbeat/model-training.',
            },
          ],
        },
      ],
    },
  },
);
