import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Pool, type PoolConfig } from 'pg';
import type { Kafka, Producer } from 'kafkajs';
import { EVENT_HEADERS, encodeEnvelope, inventoryV1, newEventId, topicName } from '@ionet/contracts';
import { createTestSchema, createTestTopics, deleteTestTopics, dropTestSchema, testKafka, testNamespace, type TestNamespace } from '@ionet/testing';
import { defineProjection, installEventingSchema, on, PgTransactionRunner, type EventingLogger, type NewEvent } from '../../src';

export interface EventingTestKit {
  ns: TestNamespace;
  poolConfig: PoolConfig;
  pool: Pool;
  kafka: Kafka;
  transactions: PgTransactionRunner;
  inventoryTopic: string;
  dlqTopic: string;
  producer(): Promise<Producer>;
  close(): Promise<void>;
}

/** Quiet logger for tests that provoke retries on purpose; keeps the lines for assertions. */
export function memoryLogger(): EventingLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}

/** One schema, one topic prefix and its own Kafka client per test file. */
export async function eventingTestKit(label: string, partitions = 2): Promise<EventingTestKit> {
  const ns = testNamespace(label);
  const poolConfig = { ...(await createTestSchema(ns.schema)), max: 8 };
  const pool = new Pool(poolConfig);
  pool.on('error', () => undefined);
  await installEventingSchema(pool);
  const inventoryTopic = topicName('inventory', ns.topicPrefix);
  const dlqTopic = topicName('dlq', ns.topicPrefix);
  await createTestTopics([
    { topic: inventoryTopic, numPartitions: partitions, configEntries: [{ name: 'retention.ms', value: '-1' }] },
    { topic: dlqTopic, numPartitions: 1 },
  ]);
  const kafka = testKafka(`ionet-test-${ns.id}`);
  let producer: Producer | undefined;
  return {
    ns,
    poolConfig,
    pool,
    kafka,
    transactions: new PgTransactionRunner(pool),
    inventoryTopic,
    dlqTopic,
    async producer() {
      if (!producer) {
        producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
      }
      return producer;
    },
    async close() {
      await producer?.disconnect();
      await pool.end();
      await dropTestSchema(ns.schema);
      await deleteTestTopics(ns.topicPrefix);
    },
  };
}

export function deviceListed(deviceId: string, at = new Date('2026-11-25T10:00:00Z')): NewEvent<typeof inventoryV1.DeviceListedSchema> {
  return { schema: inventoryV1.DeviceListedSchema, data: { deviceId, supplierId: 'sup-1', listedAt: timestampFromDate(at) }, occurredAt: at };
}

export interface RawEventSpec {
  deviceId: string;
  version: bigint;
  eventId?: string;
  listedAtMs?: number;
}

/** An envelope as the relay would publish it, for tests that produce duplicates or disorder. */
export function listedMessage(spec: RawEventSpec): { key: string; value: Buffer; headers: Record<string, string>; eventId: string } {
  const eventId = spec.eventId ?? newEventId();
  const at = new Date(spec.listedAtMs ?? Date.UTC(2026, 10, 25, 10, 0, Number(spec.version)));
  const payload = toBinary(inventoryV1.DeviceListedSchema, create(inventoryV1.DeviceListedSchema, { deviceId: spec.deviceId, supplierId: 'sup-1', listedAt: timestampFromDate(at) }));
  const value = Buffer.from(
    encodeEnvelope(
      {
        eventId, eventType: 'ionet.inventory.v1.DeviceListed', schemaVersion: 1, aggregateType: 'device', aggregateId: spec.deviceId,
        aggregateVersion: spec.version, occurredAt: at, correlationId: '', causationId: '', producer: 'test', traceparent: '', tracestate: '', globalPosition: 0n,
      },
      payload,
    ),
  );
  return { key: spec.deviceId, value, headers: { [EVENT_HEADERS.eventType]: 'ionet.inventory.v1.DeviceListed', [EVENT_HEADERS.eventId]: eventId }, eventId };
}

/** A projection of which devices are listed (version 1 of the specs' `listings`). */
export const listingsV1 = defineProjection({
  name: 'listings',
  version: 1,
  consumerGroup: 'spec.listings',
  contexts: ['inventory'],
  tables: [{ name: 'listings', columnsSql: 'device_id text not null', primaryKey: ['device_id'] }],
  handlers: [
    on(inventoryV1.DeviceListedSchema, async (e, _metadata, ctx) => {
      await ctx.tx.query(`insert into ${ctx.table('listings')} (device_id) values ($1) on conflict do nothing`, [e.deviceId]);
    }),
  ],
});
