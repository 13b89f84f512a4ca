import { inventoryV1 } from '@ionet/contracts';
import { defineProjection, on, type EventingTransaction, type ProjectionContext, type ProjectionHandler, type ProjectionSpec } from '@ionet/eventing';
import type { Clock } from '@ionet/platform';
import { fanOut, type DeliveryStart, type DeliveryStarter } from '../fan-out';
import { SOURCE_MAPPINGS, type WebhookFact } from '../source-events';

export const WEBHOOK_FAN_OUT = 'webhook_fan_out';

interface SourceFact extends WebhookFact {
  sourceEventId: string;
  occurredAt: Date;
}

/**
 * Turns platform events into deliveries. Its own tables are what a rebuild recomputes: who owns
 * each supplier (inventory's SupplierRegistered) and the facts still waiting for their owner to be
 * known. The deliveries it creates live in webhook_deliveries, outside the projection, so a rebuild
 * or a replay finds them there (their ids derive from endpoint and event) and creates nothing new.
 */
export function webhookFanOutProjection(starter: DeliveryStarter, clock: Clock): ProjectionSpec {
  const started = (tx: EventingTransaction, deliveries: DeliveryStart[]) => {
    if (deliveries.length === 0) return;
    if (!tx.afterCommit) throw new Error('the fan-out needs a transaction that reports its commit');
    tx.afterCommit(() => starter.start(deliveries));
  };

  const deliver = async (fact: SourceFact, organizationId: string, ctx: ProjectionContext) => {
    const { type, data, sourceEventId, occurredAt } = fact;
    started(ctx.tx, await fanOut(ctx.tx, { organizationId, type, data, sourceEventId, occurredAt, now: clock.now() }));
  };

  const handlers: ProjectionHandler[] = SOURCE_MAPPINGS.map((m) =>
    on(m.schema, async (event, metadata, ctx) => {
      const fact: SourceFact = { ...m.map(event as never), sourceEventId: metadata.eventId, occurredAt: metadata.occurredAt };
      if (fact.owner.kind === 'organization') return deliver(fact, fact.owner.organizationId, ctx);
      const owner = await ctx.tx.query<{ tenant_id: string }>(`select tenant_id from ${ctx.table('webhook_owners')} where owner_kind = 'supplier' and owner_id = $1`, [fact.owner.supplierId]);
      if (owner.rows[0]) return deliver(fact, owner.rows[0].tenant_id, ctx);
      // Topics are not ordered with each other: the supplier's registration may still be on its way.
      await ctx.tx.query(
        `insert into ${ctx.table('webhook_awaiting_owner')} (source_event_id, owner_kind, owner_id, event_type, occurred_at, data)
         values ($1, 'supplier', $2, $3, $4, $5) on conflict (source_event_id) do nothing`,
        [fact.sourceEventId, fact.owner.supplierId, fact.type, fact.occurredAt, JSON.stringify(fact.data)],
      );
    }),
  );

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
      ...handlers,
      on(inventoryV1.SupplierRegisteredSchema, async (e, _metadata, ctx) => {
        await ctx.tx.query(`insert into ${ctx.table('webhook_owners')} (owner_kind, owner_id, tenant_id) values ('supplier', $1, $2) on conflict do nothing`, [e.supplierId, e.tenantId]);
        const waiting = await ctx.tx.query<{ source_event_id: string; event_type: string; occurred_at: Date; data: Record<string, unknown> }>(
          `delete from ${ctx.table('webhook_awaiting_owner')} where owner_kind = 'supplier' and owner_id = $1 returning source_event_id, event_type, occurred_at, data`,
          [e.supplierId],
        );
        for (const w of waiting.rows) {
          await deliver({ type: w.event_type as WebhookFact['type'], owner: { kind: 'supplier', supplierId: e.supplierId }, data: w.data, sourceEventId: w.source_event_id, occurredAt: w.occurred_at }, e.tenantId, ctx);
        }
      }),
    ],
  });
}
