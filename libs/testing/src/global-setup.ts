import { Client } from 'pg';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { TEST_DATABASE, testConnections, type TestConnections } from './connections';

type Probe = { name: string; ok: boolean; detail: string };

/** Jest global setup of the integration and e2e layers: find the real stack (environment variables,
 *  else the addresses of `npm run infra -- up`), fall back to containers where a Docker engine exists,
 *  and create the test database. Workers inherit the resulting environment. */
export default async function globalSetup(): Promise<void> {
  let conn = testConnections();
  let probes = await probeAll(conn);
  if (probes.some((p) => !p.ok)) {
    const started = await startContainersIfDockerExists();
    if (!started) {
      const lines = probes.map((p) => `  ${p.name}: ${p.ok ? 'ok' : `DOWN (${p.detail})`}`).join('\n');
      throw new Error(
        `Integration tests need real Kafka, PostgreSQL and Redis, and no Docker engine is available to start them.\n${lines}\n` +
          'Run `npm run infra -- up` (or set IONET_KAFKA_BROKERS, IONET_POSTGRES_URL, IONET_REDIS_URL).',
      );
    }
    conn = testConnections();
    probes = await probeAll(conn);
    const down = probes.filter((p) => !p.ok);
    if (down.length) throw new Error(`containers started but not healthy: ${down.map((p) => `${p.name} ${p.detail}`).join('; ')}`);
  }
  await ensureTestDatabase(conn);
}

async function probeAll(conn: TestConnections): Promise<Probe[]> {
  return Promise.all([probePostgres(conn), probeRedis(conn), probeKafka(conn)]);
}

async function probePostgres(conn: TestConnections): Promise<Probe> {
  const client = new Client({ connectionString: conn.postgresAdminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { name: 'postgres', ok: true, detail: conn.postgresAdminUrl };
  } catch (err) {
    return { name: 'postgres', ok: false, detail: `${conn.postgresAdminUrl}: ${(err as Error).message}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRedis(conn: TestConnections): Promise<Probe> {
  const client = new Redis(conn.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return { name: 'redis', ok: true, detail: conn.redisUrl };
  } catch (err) {
    return { name: 'redis', ok: false, detail: `${conn.redisUrl}: ${(err as Error).message}` };
  } finally {
    client.disconnect();
  }
}

async function probeKafka(conn: TestConnections): Promise<Probe> {
  const admin = new Kafka({ clientId: 'ionet-test-probe', brokers: conn.kafkaBrokers, logLevel: logLevel.NOTHING, retry: { retries: 1 }, connectionTimeout: 2_000 }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return { name: 'kafka', ok: true, detail: conn.kafkaBrokers.join(',') };
  } catch (err) {
    return { name: 'kafka', ok: false, detail: `${conn.kafkaBrokers.join(',')}: ${(err as Error).message}` };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function ensureTestDatabase(conn: TestConnections): Promise<void> {
  const client = new Client({ connectionString: conn.postgresAdminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [TEST_DATABASE]);
    if (!rowCount) {
      await client.query(`create database "${TEST_DATABASE}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created concurrently by another project's setup
      });
    }
  } finally {
    await client.end();
  }
}

/** Starts Kafka, PostgreSQL and Redis in containers when a Docker engine answers; returns false when
 *  none does (the build machines have only a Docker client). The containers stop with the Jest run. */
async function startContainersIfDockerExists(): Promise<boolean> {
  const tc = await import('testcontainers');
  try {
    await tc.getContainerRuntimeClient();
  } catch {
    return false;
  }
  const [pg, redis, kafka] = await Promise.all([
    new tc.GenericContainer('postgres:15')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start(),
    new tc.GenericContainer('redis:7').withExposedPorts(6379).start(),
    new tc.GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: 9092, host: 39092 })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:39092',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withWaitStrategy(tc.Wait.forLogMessage(/Kafka Server started/))
      .start(),
  ]);
  process.env.IONET_POSTGRES_URL = `postgres://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`;
  process.env.IONET_REDIS_URL = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}/0`;
  process.env.IONET_KAFKA_BROKERS = `127.0.0.1:${kafka.getMappedPort(9092)}`;
  return true;
}
