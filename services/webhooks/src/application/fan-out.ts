import { derivedId, type SqlExecutor } from '@ionet/eventing';
import { webhookBody } from '../domain/delivery/webhook-message';

/** A delivery to start: its first attempt runs now. */
export interface DeliveryStart {
  deliveryId: string;
}

/** Where new deliveries go once their transaction committed (BullMQ in the worker process). */
export interface DeliveryStarter {
  start(deliveries: DeliveryStart[]): void;
}

/** Bound late: the projection is declared before the queue exists. */
export class DeliveryStarterHook implements DeliveryStarter {
  private target: DeliveryStarter | undefined;

  bind(target: DeliveryStarter): void {
    this.target = target;
  }

  start(deliveries: DeliveryStart[]): void {
    // Unbound (a process without the queue): the sweeper of a worker process starts them.
    this.target?.start(deliveries);
  }
}

/** One delivery per (endpoint, source event): the id derives from both, so a replay lands on it. */
export function deliveryIdOf(webhookEndpointId: string, sourceEventId: string): string {
  return derivedId('webhook-delivery', webhookEndpointId, sourceEventId);
}

export interface FanOutInput {
  organizationId: string;
  type: string;
  sourceEventId: string;
  occurredAt: Date;
  data: Record<string, unknown>;
  /** The service's clock when the delivery is created (the first attempt is due then). */
  now: Date;
  /** Only this endpoint (the test event); otherwise every subscribed endpoint. */
  webhookEndpointId?: string;
}

/**
 * Creates the deliveries of one fact in the caller's transaction: one per endpoint of the
 * organization that subscribes to the type and was live when the fact occurred (created at or
 * before it, not yet deleted or disabled), so a replay, however late, picks the same endpoints.
 * Returns the deliveries created now; those that existed already (a replay) are not returned.
 */
export async function fanOut(tx: SqlExecutor, input: FanOutInput): Promise<DeliveryStart[]> {
  const body = webhookBody(input.type, input.occurredAt, input.data);
  // One statement per fact: the endpoints, each delivery's id (deliveryIdOf, computed in SQL: the
  // same SHA-256 name-based UUID as derivedId) and the insert.
  const inserted = await tx.query<{ delivery_id: string }>(
    `with endpoint as (
       select webhook_endpoint_id, substring(sha256(convert_to(format(E'16:webhook-delivery\\n%s:%s\\n%s:%s\\n',
                octet_length(webhook_endpoint_id::text), webhook_endpoint_id::text, octet_length($3::text), $3::text), 'UTF8')) from 1 for 16) as h
         from webhook_endpoints
        where case when $7::uuid is not null then webhook_endpoint_id = $7::uuid
                   else organization_id = $1 and $2 = any(event_types) and created_at <= $5
                        and (deleted_at is null or deleted_at > $5) and (disabled_at is null or disabled_at > $5) end
     )
     insert into webhook_deliveries (delivery_id, webhook_endpoint_id, organization_id, event_type, source_event_id, body, status, next_attempt, next_attempt_at, occurred_at, created_at)
     select encode(set_byte(set_byte(h, 6, (get_byte(h, 6) & 15) | 128), 8, (get_byte(h, 8) & 63) | 128), 'hex')::uuid,
            webhook_endpoint_id, $1, $2, $3, $4, 'pending', 0, $6, $5, $6
       from endpoint
     on conflict (delivery_id) do nothing
     returning delivery_id`,
    [input.organizationId, input.type, input.sourceEventId, body, input.occurredAt, input.now, input.webhookEndpointId ?? null],
  );
  return inserted.rows.map((r) => ({ deliveryId: r.delivery_id }));
}
