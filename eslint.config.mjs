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
    files: ['bin/**/*.js', 'scripts/**/*.js', 'scripts/**/*.mjs', 'apps/*/src/**/*.js'],
    languageOptions: {
      globals: { require: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-restricted-syntax': 'off' },
  },
);
