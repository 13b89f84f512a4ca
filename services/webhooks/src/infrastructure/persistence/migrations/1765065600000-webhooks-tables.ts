import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Endpoints (the state the command writes beside its events, with the signing secrets that never
 *  leave this database), deliveries (one per endpoint and source event) and their attempts. */
export class WebhooksTables1765065600000 implements MigrationInterface {
  name = 'WebhooksTables1765065600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table webhook_endpoints (
        webhook_endpoint_id uuid primary key,
        organization_id text not null,
        url text not null,
        event_types text[] not null,
        description text not null,
        status text not null check (status in ('active', 'disabled', 'deleted')),
        secret text not null,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        created_at timestamptz not null,
        disabled_at timestamptz,
        deleted_at timestamptz,
        last_delivered_at timestamptz,
        version bigint not null
      )`);
    await q.query(`create index webhook_endpoints_organization_idx on webhook_endpoints (organization_id, created_at, webhook_endpoint_id)`);
    await q.query(`
      create table webhook_deliveries (
        delivery_id uuid primary key,
        webhook_endpoint_id uuid not null references webhook_endpoints (webhook_endpoint_id),
        organization_id text not null,
        event_type text not null,
        source_event_id text not null,
        body text not null,
        status text not null check (status in ('pending', 'delivered', 'failed')),
        attempts int not null default 0,
        next_attempt int,
        next_attempt_at timestamptz,
        first_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status_code int,
        occurred_at timestamptz not null,
        created_at timestamptz not null,
        delivered_at timestamptz
      )`);
    await q.query(`create index webhook_deliveries_endpoint_idx on webhook_deliveries (webhook_endpoint_id, created_at desc, delivery_id desc)`);
    await q.query(`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending'`);
    await q.query(`
      create table webhook_delivery_attempts (
        delivery_id uuid not null references webhook_deliveries (delivery_id),
        attempt_key text not null,
        attempted_at timestamptz not null,
        status_code int,
        duration_ms int not null,
        error text,
        response_excerpt text,
        primary key (delivery_id, attempt_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table webhook_delivery_attempts`);
    await q.query(`drop table webhook_deliveries`);
    await q.query(`drop table webhook_endpoints`);
  }
}
