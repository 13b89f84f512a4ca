import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const skippedTests = [
  { selector: 'CallExpression[callee.object.name="it"][callee.property.name=/^(skip|todo)$/]', message: 'No skipped tests.' },
  { selector: 'CallExpression[callee.object.name="describe"][callee.property.name="skip"]', message: 'No skipped tests.' },
];

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
      'no-restricted-syntax': ['error', ...skippedTests],
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
    // A service's domain is deterministic (STYLE.md rules 1 and 3): time, ids and randomness come in
    // with the command or event, and it knows nothing of the platform or the event store.
    files: ['services/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'crypto', message: 'Domain ids and hashes come from the command or event (the handler derives them).' },
            { name: 'node:crypto', message: 'Domain ids and hashes come from the command or event (the handler derives them).' },
          ],
          patterns: [
            { group: infrastructureModules, message: 'Domain code must not import Nest, TypeORM, Kafka, BullMQ, Redis, pg or Solana.' },
            { group: ['@ionet/platform', '@ionet/platform/*', '@ionet/eventing', '@ionet/eventing/*'], message: 'Domain code must not import the platform or the event store; errors come from @ionet/errors.' },
            { group: ['**/infrastructure/**', '**/api/**', '**/application/**'], message: 'Domain code must not import outer layers.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        ...skippedTests,
        { selector: 'NewExpression[callee.name="Date"][arguments.length=0]', message: 'Domain time comes from the command or event: no new Date() without an argument.' },
        { selector: 'CallExpression[callee.name="Date"]', message: 'Date() reads the wall clock; domain time comes from the command or event.' },
      ],
      'no-restricted-globals': ['error', { name: 'crypto', message: 'Domain ids come from the command or event.' }, { name: 'performance', message: 'Domain code does not read clocks.' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
