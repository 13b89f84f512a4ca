import type { DescMessage } from '@bufbuild/protobuf';
import { inventoryV1 } from '@ionet/contracts';
import { defineProjection, on, onBatch, type EventingTransaction, type ProjectionSpec } from '@ionet/eventing';
import type { Clock } from '@ionet/platform';
import { fanOutMany, type DeliveryStart, type DeliveryStarter, type Fact } from '../fan-out';
import { SOURCE_MAPPINGS, type SourceMapping, type WebhookFact } from '../source-events';

export const WEBHOOK_FAN_OUT = 'webhook_fan_out';

/**
 * Turns platform events into deliveries. Its own tables are what a rebuild recomputes: who owns
 * each supplier (inventory's SupplierRegistered) and the facts still waiting for their owner to be
 * known. The deliveries it creates live in webhook_deliveries, outside the projection, so a rebuild
 * or a replay finds them there (their ids derive from endpoint and event) and creates nothing new.
 * The mapped events of a consumer batch fan out in one statement, after the batch's supplier
 * registrations.
 */
export function webhookFanOutProjection(starter: DeliveryStarter, clock: Clock): ProjectionSpec {
  const started = (tx: EventingTransaction, deliveries: DeliveryStart[]) => {
    if (deliveries.length === 0) return;
    if (!tx.afterCommit) throw new Error('the fan-out needs a transaction that reports its commit');
    tx.afterCommit(() => starter.start(deliveries));
  };
  const mappings = new Map<DescMessage, SourceMapping>(SOURCE_MAPPINGS.map((m) => [m.schema, m]));

  return defineProjection({
    name: WEBHOOK_FAN_OUT,
    version: 1,
    consumerGroup: 'webhooks.fan-out',
    contexts: ['billing', 'leasing', 'inventory', 'webhooks'],
    tables: [
      { name: 'webhook_owners', columnsSql: `owner_kind text not null, owner_id text not null, tenant_id text not null`, primaryKey: ['owner_kind', 'owner_id'] },
      {
        name: 'webhook_awaiting_owner',
        columnsSql: `source_event_id text not null, owner_kind text not null, owner_id text not null, event_type text not null, occurred_at timestamptz not null, data jsonb not null`,
        primaryKey: ['source_event_id'],
      },
    ],
    handlers: [
      on(inventoryV1.SupplierRegisteredSchema, async (e, _metadata, ctx) => {
        await ctx.tx.query(`insert into ${ctx.table('webhook_owners')} (owner_kind, owner_id, tenant_id) values ('supplier', $1, $2) on conflict do nothing`, [e.supplierId, e.tenantId]);
        const waiting = await ctx.tx.query<{ source_event_id: string; event_type: string; occurred_at: Date; data: Record<string, unknown> }>(
          `delete from ${ctx.table('webhook_awaiting_owner')} where owner_kind = 'supplier' and owner_id = $1 returning source_event_id, event_type, occurred_at, data`,
          [e.supplierId],
        );
        const facts = waiting.rows.map((w) => ({ organizationId: e.tenantId, type: w.event_type, sourceEventId: w.source_event_id, occurredAt: w.occurred_at, data: w.data }));
        started(ctx.tx, await fanOutMany(ctx.tx, facts, clock.now()));
      }),
    ],
    batchHandlers: [
      onBatch(
        SOURCE_MAPPINGS.map((m) => m.schema),
        async (events, ctx) => {
          const mapped = events.map(({ event, metadata, schema }) => ({ ...mappings.get(schema)!.map(event as never), sourceEventId: metadata.eventId, occurredAt: metadata.occurredAt }));
          const suppliers = [...new Set(mapped.flatMap((f) => (f.owner.kind === 'supplier' ? [f.owner.supplierId] : [])))];
          const owners = new Map<string, string>();
          if (suppliers.length) {
            const known = await ctx.tx.query<{ owner_id: string; tenant_id: string }>(`select owner_id, tenant_id from ${ctx.table('webhook_owners')} where owner_kind = 'supplier' and owner_id = any($1)`, [
              suppliers,
            ]);
            for (const r of known.rows) owners.set(r.owner_id, r.tenant_id);
          }
          const facts: Fact[] = [];
          for (const f of mapped) {
            const organizationId = f.owner.kind === 'organization' ? f.owner.organizationId : owners.get(f.owner.supplierId);
            if (organizationId) facts.push({ organizationId, type: f.type, sourceEventId: f.sourceEventId, occurredAt: f.occurredAt, data: f.data });
            else await awaitOwner(ctx.tx, ctx.table('webhook_awaiting_owner'), f);
          }
          started(ctx.tx, await fanOutMany(ctx.tx, facts, clock.now()));
        },
      ),
    ],
  });
}

/** Topics are not ordered with each other: the supplier's registration may still be on its way. */
async function awaitOwner(tx: EventingTransaction, table: string, f: WebhookFact & { sourceEventId: string; occurredAt: Date }): Promise<void> {
  if (f.owner.kind !== 'supplier') throw new Error('only a supplier-owned fact waits for its owner');
  await tx.query(
    `insert into ${table} (source_event_id, owner_kind, owner_id, event_type, occurred_at, data)
     values ($1, 'supplier', $2, $3, $4, $5) on conflict (source_event_id) do nothing`,
    [f.sourceEventId, f.owner.supplierId, f.type, f.occurredAt, JSON.stringify(f.data)],
  );
}
