import { createTestSchema, createTestTopics, deleteTestTopics, dropTestSchema, testConnections, testKafka, testNamespace, waitFor } from '@ionet/testing';
import type { Job } from 'bullmq';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { addJob, createQueue, createWorker, defineQueue } from '../src/queues/queues';
import { PLATFORM_MIGRATIONS } from '../src/persistence/platform-tables.migration';
import { runMigrations } from '../src/persistence/migrate';
import { dataSourceOptions } from '../src/persistence/data-source-options';
import { ApiKeyEntity } from '../src/auth/api-key.entity';
import { IdempotencyRecordEntity } from '../src/idempotency/idempotency-record.entity';

const conn = testConnections();
const ns = testNamespace('platform-stack');

describe('the real stack', () => {
  afterAll(async () => {
    await dropTestSchema(ns.schema);
    await deleteTestTopics(ns.topicPrefix);
  });

  it('produces to and consumes from a real Kafka topic, keyed, with headers', async () => {
    const topic = `${ns.topicPrefix}roundtrip`;
    await createTestTopics([{ topic, numPartitions: 3 }]);
    const kafka = testKafka('platform-stack');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: `${ns.topicPrefix}group` });
    await Promise.all([producer.connect(), consumer.connect()]);
    try {
      const sent = Array.from({ length: 20 }, (_, i) => ({ key: `device-${i % 4}`, value: `event-${i}`, headers: { 'ionet-type': 'Test' } }));
      await producer.send({ topic, acks: -1, messages: sent });
      const received: { key: string; value: string; partition: number; type: string }[] = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          received.push({ key: String(message.key), value: String(message.value), partition, type: String(message.headers?.['ionet-type']) });
        },
      });
      await waitFor('all 20 messages', () => (received.length >= 20 ? received : undefined), 30_000);
      expect(received.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort());
      expect(received.every((m) => m.type === 'Test')).toBe(true);
      // One key, one partition: the per-aggregate order guarantee we build on.
      for (const key of new Set(received.map((m) => m.key))) {
        const ofKey = received.filter((m) => m.key === key);
        expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
        expect(ofKey.map((m) => m.value)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
      }
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });

  it('migrates a schema in PostgreSQL once, even when two instances start together, and queries it', async () => {
    await createTestSchema(ns.schema);
    const options = dataSourceOptions(
      { DATABASE_URL: conn.postgresUrl, DATABASE_POOL_MAX: 2, DATABASE_SCHEMA: ns.schema, SERVICE_NAME: 'platform-test' },
      { entities: [ApiKeyEntity, IdempotencyRecordEntity], migrations: PLATFORM_MIGRATIONS },
    );
    const a = await new DataSource(options).initialize();
    const b = await new DataSource(options).initialize();
    try {
      const [appliedA, appliedB] = await Promise.all([runMigrations(a), runMigrations(b)]);
      expect([...appliedA, ...appliedB]).toEqual(PLATFORM_MIGRATIONS.map((m) => m.name));
      expect(await runMigrations(a)).toEqual([]);

      await a.getRepository(ApiKeyEntity).insert({
        id: '0190b1f2-7c1e-7000-8000-000000000001',
        keyHash: 'a'.repeat(64),
        displayPrefix: 'ionet_ops_xxxxxx',
        tenantId: 'ops',
        scopes: ['ops'],
        label: 'test',
        revokedAt: null,
      });
      const row = await b.getRepository(ApiKeyEntity).findOneByOrFail({ keyHash: 'a'.repeat(64) });
      expect(row.scopes).toEqual(['ops']);

      const client = new Client({ connectionString: conn.postgresUrl });
      await client.connect();
      const { rows } = await client.query('select table_name from information_schema.tables where table_schema = $1 order by 1', [ns.schema]);
      await client.end();
      expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['api_keys', 'idempotency_keys', 'job_effects', 'typeorm_migrations']));
      await expect(a.query(`insert into api_keys (id, key_hash, display_prefix, tenant_id, scopes) values ($1, $2, 'x', 't', '{}')`, ['0190b1f2-7c1e-7000-8000-000000000002', 'b'.repeat(64)])).rejects.toThrow(/check constraint/);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });

  it('runs a BullMQ job on real Redis once per deterministic job id, retrying a failed attempt', async () => {
    const def = defineQueue<{ payoutId: string; amountBaseUnits: string }>('payouts-test', { backoff: { type: 'fixed', delay: 50 } });
    const connection = { url: conn.redisUrl, maxRetriesPerRequest: null };
    const queue = createQueue(def, connection, ns.queuePrefix);
    const attempts: number[] = [];
    const done: string[] = [];
    const worker = createWorker(
      def,
      async (job: Job<{ payoutId: string; amountBaseUnits: string }>) => {
        attempts.push(job.attemptsMade);
        if (job.attemptsMade === 0) throw new Error('transient failure');
        done.push(`${job.id}:${job.data.amountBaseUnits}`);
      },
      connection,
      ns.queuePrefix,
    );
    try {
      await addJob(queue, 'payout-sup1-2026-11-25', { payoutId: 'p1', amountBaseUnits: '1500000000' });
      await addJob(queue, 'payout-sup1-2026-11-25', { payoutId: 'p1', amountBaseUnits: '999' });
      await waitFor('the job to complete', () => (done.length ? done : undefined), 15_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(done).toEqual(['payout-sup1-2026-11-25:1500000000']);
      expect(attempts).toEqual([0, 1]);
      expect(() => createQueue(defineQueue('Bad:Name'), connection, ns.queuePrefix)).toThrow(/kebab-case/);
      await expect(addJob(queue, '12345', { payoutId: 'x', amountBaseUnits: '1' })).rejects.toThrow(/invalid job id/);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
