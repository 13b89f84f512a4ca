import { randomBytes } from 'node:crypto';

/** Where the integration and e2e tests find the real stack. Set by CI and `npm run infra -- up`
 *  (defaults are that command's addresses); the global setup may replace them with containers. */
export interface TestConnections {
  kafkaBrokers: string[];
  /** Admin connection to the server (the `postgres` database). */
  postgresAdminUrl: string;
  /** The database that holds one schema per test file. */
  postgresUrl: string;
  redisUrl: string;
}

export const TEST_DATABASE = 'ionet_test';

export function testConnections(env: NodeJS.ProcessEnv = process.env): TestConnections {
  const postgresAdminUrl = env.IONET_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const testDb = new URL(postgresAdminUrl);
  testDb.pathname = `/${TEST_DATABASE}`;
  return {
    kafkaBrokers: (env.IONET_KAFKA_BROKERS ?? '127.0.0.1:9092')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    postgresAdminUrl,
    postgresUrl: testDb.toString(),
    redisUrl: env.IONET_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  };
}

/** Names private to one test file, so files can run in parallel against one stack. */
export interface TestNamespace {
  id: string;
  /** PostgreSQL schema in the test database. */
  schema: string;
  /** Prefix for Kafka topics and consumer groups. */
  topicPrefix: string;
  /** Prefix for BullMQ queues (no ':' allowed in BullMQ prefixes' parts). */
  queuePrefix: string;
}

export function testNamespace(label: string): TestNamespace {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 24) || 't';
  const id = `${slug}_${randomBytes(4).toString('hex')}`;
  return {
    id,
    schema: `t_${id}`,
    topicPrefix: `test.${id}.`,
    queuePrefix: `ionet-test-${id}`,
  };
}
