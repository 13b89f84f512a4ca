import { derivedId, type SqlExecutor } from '@ionet/eventing';
import { webhookBody } from '../domain/delivery/webhook-message';

/** What the first attempt needs, read with the delivery's creation (no second round trip). */
export interface DeliveryTarget {
  webhookEndpointId: string;
  url: string;
  body: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  endpointStatus: 'active' | 'disabled' | 'deleted';
}

/** A delivery to start: its first attempt runs now. `target` when the fan-out read it. */
export interface DeliveryStart {
  deliveryId: string;
  target?: DeliveryTarget;
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

/** A fact to fan out: whose it is, its public type, its source event and body. */
export interface Fact {
  organizationId: string;
  type: string;
  sourceEventId: string;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/** deliveryIdOf in SQL: the first 16 bytes of the same SHA-256 as derivedId('webhook-delivery',
 *  endpoint, source), then its version and variant bits. */
const DELIVERY_HASH_SQL = (endpoint: string, source: string) =>
  `substring(sha256(convert_to(format(E'16:webhook-delivery\\n%s:%s\\n%s:%s\\n', octet_length(${endpoint}::text), ${endpoint}::text, octet_length(${source}::text), ${source}::text), 'UTF8')) from 1 for 16)`;
const DELIVERY_ID_SQL = `encode(set_byte(set_byte(h, 6, (get_byte(h, 6) & 15) | 128), 8, (get_byte(h, 8) & 63) | 128), 'hex')::uuid`;
/** An endpoint gets a fact when it subscribes to its type and was live when it occurred. */
const LIVE_AT = (occurredAt: string) => `e.created_at <= ${occurredAt} and (e.deleted_at is null or e.deleted_at > ${occurredAt}) and (e.disabled_at is null or e.disabled_at > ${occurredAt})`;
const DELIVERY_COLUMNS = `delivery_id, webhook_endpoint_id, organization_id, event_type, source_event_id, body, status, next_attempt, next_attempt_at, occurred_at, created_at`;

/**
 * Creates the deliveries of many facts in the caller's transaction, in one statement: one per
 * endpoint of each fact's organization that subscribes to its type and was live when it occurred
 * (created at or before it, not yet deleted or disabled), so a replay, however late, picks the same
 * endpoints. Returns the deliveries created now; those that existed already (a replay) are not.
 */
export async function fanOutMany(tx: SqlExecutor, facts: Fact[], now: Date): Promise<DeliveryStart[]> {
  if (facts.length === 0) return [];
  // The created deliveries come back with their endpoint's URL, secrets and status: the first
  // attempt needs nothing more from the database.
  const inserted = await tx.query<TargetRow>(
    `with fact as (
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) as f(organization_id, event_type, source_event_id, body, occurred_at)
     ), target as (
       select e.webhook_endpoint_id, f.*, ${DELIVERY_HASH_SQL('e.webhook_endpoint_id', 'f.source_event_id')} as h
         from fact f join webhook_endpoints e on e.organization_id = f.organization_id and f.event_type = any(e.event_types) and ${LIVE_AT('f.occurred_at')}
     ), created as (
       insert into webhook_deliveries (${DELIVERY_COLUMNS})
       select ${DELIVERY_ID_SQL}, webhook_endpoint_id, organization_id, event_type, source_event_id, body, 'pending', 0, $6, occurred_at, $6 from target
       on conflict (delivery_id) do nothing
       returning delivery_id, webhook_endpoint_id, body
     )
     select c.delivery_id, c.webhook_endpoint_id, c.body, ${TARGET_COLUMNS} from created c join webhook_endpoints e on e.webhook_endpoint_id = c.webhook_endpoint_id`,
    [
      facts.map((f) => f.organizationId),
      facts.map((f) => f.type),
      facts.map((f) => f.sourceEventId),
      facts.map((f) => webhookBody(f.type, f.occurredAt, f.data)),
      facts.map((f) => f.occurredAt),
      now,
    ],
  );
  return inserted.rows.map(startOf);
}

const TARGET_COLUMNS = `e.url, e.secret, e.previous_secret, e.previous_secret_expires_at, e.status as endpoint_status`;

interface TargetRow {
  delivery_id: string;
  webhook_endpoint_id: string;
  body: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  endpoint_status: DeliveryTarget['endpointStatus'];
}

function startOf(r: TargetRow): DeliveryStart {
  return {
    deliveryId: r.delivery_id,
    target: {
      webhookEndpointId: r.webhook_endpoint_id,
      url: r.url,
      body: r.body,
      secret: r.secret,
      previousSecret: r.previous_secret,
      previousSecretExpiresAt: r.previous_secret_expires_at,
      endpointStatus: r.endpoint_status,
    },
  };
}

/** One fact to one endpoint (the test event), whatever it subscribes to. */
export async function fanOutTo(tx: SqlExecutor, webhookEndpointId: string, fact: Fact, now: Date): Promise<DeliveryStart[]> {
  const inserted = await tx.query<{ delivery_id: string }>(
    `with target as (
       select webhook_endpoint_id, ${DELIVERY_HASH_SQL('webhook_endpoint_id', '$3')} as h from webhook_endpoints where webhook_endpoint_id = $7
     )
     insert into webhook_deliveries (${DELIVERY_COLUMNS})
     select ${DELIVERY_ID_SQL}, webhook_endpoint_id, $1, $2, $3, $4, 'pending', 0, $6, $5, $6 from target
     on conflict (delivery_id) do nothing
     returning delivery_id`,
    [fact.organizationId, fact.type, fact.sourceEventId, webhookBody(fact.type, fact.occurredAt, fact.data), fact.occurredAt, now, webhookEndpointId],
  );
  return inserted.rows.map((r) => ({ deliveryId: r.delivery_id }));
}
