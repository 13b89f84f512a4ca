import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const infrastructureModules = [
  '@nestjs/*',
  'typeorm',
  'kafkajs',
  'bullmq',
  'ioredis',
  'pg',
  '@solana/*',
  'litesvm',
];

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', 'libs/contracts/src/gen/**', '.nx/**', '.local/**', 'coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression[callee.object.name="it"][callee.property.name=/^(skip|todo)$/]', message: 'No skipped tests.' },
        { selector: 'CallExpression[callee.object.name="describe"][callee.property.name="skip"]', message: 'No skipped tests.' },
      ],
    },
  },
  {
    // Domain code and the pure economic libraries stay free of frameworks, I/O and ambient time.
    files: ['services/*/src/domain/**/*.ts', 'libs/ledger/src/**/*.ts', 'libs/tokenomics/src/**/*.ts', 'libs/simulation/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: infrastructureModules, message: 'Domain code must not import Nest, TypeORM, Kafka, BullMQ, Redis, pg or Solana.' },
            { group: ['**/infrastructure/**', '**/api/**', '**/application/**'], message: 'Domain code must not import outer layers.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Domain time comes from the command or event.' },
        { object: 'Math', property: 'random', message: 'Domain randomness comes from a seed in the input.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
