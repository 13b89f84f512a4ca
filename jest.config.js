// One Jest run, three layers. Unit tests need no infrastructure; integration and e2e tests use the
// real local stack (Kafka, PostgreSQL, Redis) through @ionet/testing.
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// kafkajs warns on every producer about a partitioner change from 2019; our producers key by aggregate id.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@ionet/([a-z-]+)$': '<rootDir>/libs/$1/src',
    '^@ionet/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

module.exports = {
  // Integration and e2e tests wait on real brokers; each wait has its own, tighter, named limit.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,services,tools}/**/src/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services}/**/test/**/*.int.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      slowTestThreshold: 30,
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{services,e2e}/**/*.e2e.spec.ts'],
      // The stack check of the other layers, then the services built once: e2e runs them as processes.
      globalSetup: '<rootDir>/e2e/global-setup.ts',
      slowTestThreshold: 30,
    },
  ],
};
