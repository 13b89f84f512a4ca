import { create, type DescMessage, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, billingV1, commonV1, inventoryV1, type EventMetadata } from '@ionet/contracts';
import { ProjectionManager, projectionDefinition, type ConsumedEvent, type EventingTransaction } from '@ionet/eventing';
import { createTestSchema, dropTestSchema, testConnections, testNamespace } from '@ionet/testing';
import { Pool } from 'pg';
import type { QueryRunner } from 'typeorm';
import { deliveryIdOf, type DeliveryStart } from '../src/application/fan-out';
import { webhookFanOutProjection } from '../src/application/projections/webhook-fan-out.projection';
import { WebhooksTables1765065600000 } from '../src/infrastructure/persistence/migrations/1765065600000-webhooks-tables';

const ORG = 'a0000000-0000-7000-8000-00000000000a';
const OTHER_ORG = 'b0000000-0000-7000-8000-00000000000b';
const SUPPLIER = '50000000-0000-7000-8000-000000000005';
const ENDPOINT = 'e0000000-0000-7000-8000-00000000000e';
const createdAt = new Date('2026-12-01T09:00:00Z');
const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute));
const usdc = (amount: string) => ({ amountBaseUnits: amount, asset: Asset.USDC });

function consumed<Desc extends DescMessage>(schema: Desc, n: number, aggregateId: string, data: MessageInitShape<Desc>, occurredAt: Date): ConsumedEvent {
  const metadata: EventMetadata = {
    eventId: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    eventType: schema.typeName,
    schemaVersion: 1,
    aggregateType: 'spec',
    aggregateId,
    aggregateVersion: 1n,
    occurredAt,
    correlationId: '',
    causationId: '',
    producer: 'spec',
    traceparent: '',
    tracestate: '',
    globalPosition: BigInt(n),
  };
  return { event: create(schema, data) as Message, metadata, offset: BigInt(n), topic: 'spec', partition: 0, key: null, headers: {} } as unknown as ConsumedEvent;
}

/** The fan-out across topics that Kafka does not order with each other: a payout and a blocked
 *  device arrive before their supplier's registration, a funded cluster after. */
const events = [
  consumed(
    billingV1.PayoutSettledSchema,
    1,
    'payout-1',
    { payoutId: 'payout-1', supplierId: SUPPLIER, wallet: '11111111111111111111111111111111', amount: usdc('1890500'), periodStart: timestampFromDate(at(0)), periodEnd: timestampFromDate(at(1)), chainTransactionSignature: 'sig', settledAt: timestampFromDate(at(1)) },
    at(1),
  ),
  consumed(inventoryV1.DeviceBlockedSchema, 2, 'device-1', { deviceId: 'device-1', supplierId: SUPPLIER, reason: inventoryV1.DeviceBlockReason.FOREIGN_WORKLOAD, detail: 'miner', blockedAt: timestampFromDate(at(2)) }, at(2)),
  consumed(
    inventoryV1.SupplierRegisteredSchema,
    3,
    SUPPLIER,
    { supplierId: SUPPLIER, tenantId: ORG, displayName: 'Ridge', source: commonV1.SupplySource.MINING_FARM, registeredAt: timestampFromDate(at(0)) },
    at(0),
  ),
  consumed(
    billingV1.EscrowLockedSchema,
    4,
    'lease-1',
    { escrowId: 'escrow-1', leaseId: 'lease-1', customerId: ORG, amount: usdc('24000000'), reservationFee: usdc('480000'), paymentFee: usdc('0'), lockedAt: timestampFromDate(at(4)) },
    at(4),
  ),
  // Another organization's cluster: not this endpoint's.
  consumed(
    billingV1.EscrowLockedSchema,
    5,
    'lease-2',
    { escrowId: 'escrow-2', leaseId: 'lease-2', customerId: OTHER_ORG, amount: usdc('1'), reservationFee: usdc('0'), paymentFee: usdc('0'), lockedAt: timestampFromDate(at(5)) },
    at(5),
  ),
];

describe('webhook fan-out projection: each event twice, out of order, across topics (real PostgreSQL)', () => {
  const ns = testNamespace('webhooks-fan-out');
  let pool: Pool;
  const started: DeliveryStart[] = [];
  const spec = webhookFanOutProjection({ start: (d) => started.push(...d) }, { now: () => at(30) });
  const definition = projectionDefinition(spec);

  const apply = async (generation: number, batches: ConsumedEvent[][]) => {
    for (const batch of batches) {
      const client = await pool.connect();
      const afterCommit: Array<() => void> = [];
      try {
        await client.query('begin');
        const tx = Object.assign(client, { afterCommit: (f: () => void) => afterCommit.push(f) }) as unknown as EventingTransaction;
        await definition.apply(batch, { tx, scope: `spec:g${generation}`, topic: 'spec', partition: 0, heartbeat: async () => undefined, generation, table: (name) => ProjectionManager.physicalTable(name, generation) });
        await client.query('commit');
        for (const f of afterCommit) f();
      } catch (err) {
        await client.query('rollback');
        throw err;
      } finally {
        client.release();
      }
    }
  };
  const rows = async (sql: string) => (await pool.query(sql)).rows as Record<string, unknown>[];

  beforeAll(async () => {
    await createTestSchema(ns.schema);
    pool = new Pool({ connectionString: testConnections().postgresUrl, options: `-c search_path=${ns.schema}`, max: 2 });
    await new WebhooksTables1765065600000().up({ query: (sql: string) => pool.query(sql) } as unknown as QueryRunner);
    for (const generation of [1, 2]) {
      for (const table of spec.tables) await pool.query(`create table ${ProjectionManager.physicalTable(table.name, generation)} (${table.columnsSql}, primary key (${table.primaryKey.join(', ')}))`);
    }
    await pool.query(
      `insert into webhook_endpoints (webhook_endpoint_id, organization_id, url, event_types, description, status, secret, created_at, version)
       values ($1, $2, 'https://hooks.example.com/x', $3, '', 'active', 'whsec_c2VjcmV0', $4, 1)`,
      [ENDPOINT, ORG, ['cluster.funded', 'payout.settled', 'device.blocked'], createdAt],
    );
  });

  afterAll(async () => {
    await pool?.end();
    await dropTestSchema(ns.schema);
  });

  it('delivers each fact once to its owner, the early ones once the supplier is known', async () => {
    await apply(1, [events.slice(0, 2), events.slice(2)]);
    const deliveries = await rows(`select delivery_id, event_type, source_event_id from webhook_deliveries order by source_event_id`);
    expect(deliveries.map((d) => d.event_type)).toEqual(['payout.settled', 'device.blocked', 'cluster.funded']);
    for (const d of deliveries) expect(d.delivery_id).toBe(deliveryIdOf(ENDPOINT, String(d.source_event_id)));
    expect(started.map((s) => s.deliveryId).sort()).toEqual(deliveries.map((d) => d.delivery_id).sort());
    expect(await rows(`select * from ${ProjectionManager.physicalTable('webhook_awaiting_owner', 1)}`)).toEqual([]);
    const body = JSON.parse(String((await rows(`select body from webhook_deliveries where event_type = 'payout.settled'`))[0]!.body));
    expect(body).toEqual({ type: 'payout.settled', timestamp: at(1).toISOString(), data: expect.objectContaining({ payoutId: 'payout-1', amount: { amountBaseUnits: '1890500', asset: 'USDC' } }) });
  });

  it('a rebuild delivering every event twice, newest first and in other batches, creates and starts nothing new', async () => {
    const before = await rows(`select * from webhook_deliveries order by delivery_id`);
    started.length = 0;
    const reversed = [...events].reverse();
    await apply(2, [reversed.slice(0, 1), reversed.slice(1, 4), reversed.slice(4), events, reversed]);
    expect(await rows(`select * from webhook_deliveries order by delivery_id`)).toEqual(before);
    expect(started).toEqual([]);
    for (const table of ['webhook_owners', 'webhook_awaiting_owner']) {
      expect(await rows(`select * from ${ProjectionManager.physicalTable(table, 2)} order by 1, 2`)).toEqual(await rows(`select * from ${ProjectionManager.physicalTable(table, 1)} order by 1, 2`));
    }
  });

  it('an event older than the endpoint, or of a deleted endpoint, reaches it never', async () => {
    const early = consumed(billingV1.EscrowLockedSchema, 6, 'lease-3', { escrowId: 'e-3', leaseId: 'lease-3', customerId: ORG, amount: usdc('1'), reservationFee: usdc('0'), paymentFee: usdc('0'), lockedAt: timestampFromDate(new Date('2026-12-01T08:00:00Z')) }, new Date('2026-12-01T08:00:00Z'));
    await pool.query(`update webhook_endpoints set status = 'deleted', deleted_at = $1`, [at(10)]);
    const late = consumed(billingV1.EscrowLockedSchema, 7, 'lease-4', { escrowId: 'e-4', leaseId: 'lease-4', customerId: ORG, amount: usdc('1'), reservationFee: usdc('0'), paymentFee: usdc('0'), lockedAt: timestampFromDate(at(11)) }, at(11));
    await apply(2, [[early, late]]);
    expect((await rows(`select source_event_id from webhook_deliveries`)).map((r) => r.source_event_id)).not.toEqual(expect.arrayContaining([early.metadata.eventId]));
    expect((await rows(`select source_event_id from webhook_deliveries`)).map((r) => r.source_event_id)).not.toEqual(expect.arrayContaining([late.metadata.eventId]));
  });
});
