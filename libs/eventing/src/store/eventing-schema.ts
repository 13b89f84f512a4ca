import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { SqlExecutor } from '../support/sql-executor';

/** PostgreSQL channel a relay listens on; the payload is the table's schema so a relay ignores other
 *  schemas of the same database. Since EventingRelayPolling1764806400000 no trigger notifies on it
 *  inside the appending transaction (ADR 0206); EventStore notifies after the commit, in a
 *  transaction of its own (CommitNotifier, ADR 0207). */
export const EVENTS_NOTIFY_CHANNEL = 'ionet_events';

/** The statements of the first migration, frozen: a committed migration never changes. */
const EVENTING_SCHEMA_V1_STATEMENTS: readonly string[] = [
  `create table if not exists events (
    position bigint generated always as identity primary key,
    transaction_id xid8 not null default pg_current_xact_id(),
    event_id uuid not null,
    stream_id text not null,
    stream_type text not null,
    version bigint not null,
    event_type text not null,
    schema_version integer not null,
    payload bytea not null,
    occurred_at timestamptz not null,
    correlation_id text not null default '',
    causation_id text not null default '',
    producer text not null,
    traceparent text not null default '',
    tracestate text not null default '',
    recorded_at timestamptz not null default now(),
    constraint events_stream_version_key unique (stream_id, version),
    constraint events_event_id_key unique (event_id),
    constraint events_version_positive check (version >= 1)
  )`,
  `create index if not exists events_transaction_position_idx on events (transaction_id, position)`,
  `create or replace function ionet_events_notify() returns trigger language plpgsql as $$
   begin
     perform pg_notify('${EVENTS_NOTIFY_CHANNEL}', TG_TABLE_SCHEMA);
     return null;
   end $$`,
  `create or replace trigger events_notify after insert on events for each statement execute function ionet_events_notify()`,
  `create table if not exists outbox_checkpoints (
    relay_id text primary key,
    transaction_id xid8 not null default '0',
    position bigint not null default 0,
    published_count bigint not null default 0,
    updated_at timestamptz not null default now()
  )`,
  `create table if not exists consumer_offsets (
    group_id text not null,
    topic text not null,
    partition integer not null,
    next_offset bigint,
    updated_at timestamptz not null default now(),
    primary key (group_id, topic, partition)
  )`,
  `create table if not exists consumer_processed_events (
    group_id text not null,
    event_id uuid not null,
    processed_at timestamptz not null default now(),
    primary key (group_id, event_id)
  )`,
  `create table if not exists dead_letters (
    id uuid primary key,
    consumer_group text not null,
    source_topic text not null,
    source_partition integer not null,
    source_offset bigint not null,
    original_key bytea,
    original_value bytea,
    original_headers jsonb not null default '{}',
    error_code text not null,
    error_message text not null,
    event_type text not null default '',
    event_id text not null default '',
    dead_lettered_at timestamptz not null default now(),
    published_at timestamptz,
    redriven_at timestamptz,
    redrive_attempts integer not null default 0,
    last_redrive_error text,
    constraint dead_letters_source_key unique (consumer_group, source_topic, source_partition, source_offset)
  )`,
  `create index if not exists dead_letters_unpublished_idx on dead_letters (dead_lettered_at) where published_at is null`,
  `create table if not exists projections (
    name text primary key,
    generation integer not null,
    swapped_at timestamptz not null default now()
  )`,
];

/** A NOTIFY in a transaction takes a cluster-wide lock that is held until its commit record is
 *  flushed, so every appending transaction committed one after another (no group commit): single
 *  appends at 16 connections ran at half the rate without it. The relay polls instead (ADR 0206). */
const RELAY_POLLING_STATEMENTS: readonly string[] = [`drop trigger if exists events_notify on events`, `drop function if exists ionet_events_notify()`];

/** Projection shape versions (a new version rebuilds) and the stored status of the latest rebuild
 *  of each projection, readable from every replica (ADR 0211). */
const PROJECTION_OPS_STATEMENTS: readonly string[] = [
  `alter table projections add column if not exists version integer`,
  `create table if not exists projection_rebuilds (
    name text primary key,
    state text not null,
    generation integer,
    started_at timestamptz not null,
    finished_at timestamptz,
    progress jsonb,
    result jsonb,
    error text
  )`,
];

/** The tables of the event store, the outbox relay checkpoint, consumer offsets and inbox, dead
 *  letters and projection generations, created in the connection's current schema (search_path):
 *  every migration's statements in order. Idempotent: every statement can run again. */
export const EVENTING_SCHEMA_STATEMENTS: readonly string[] = [...EVENTING_SCHEMA_V1_STATEMENTS, ...RELAY_POLLING_STATEMENTS, ...PROJECTION_OPS_STATEMENTS];

const DOWN_STATEMENTS: readonly string[] = [
  'drop table if exists projection_rebuilds',
  'drop table if exists projections',
  'drop table if exists dead_letters',
  'drop table if exists consumer_processed_events',
  'drop table if exists consumer_offsets',
  'drop table if exists outbox_checkpoints',
  'drop table if exists events',
  'drop function if exists ionet_events_notify()',
];

export async function installEventingSchema(executor: SqlExecutor): Promise<void> {
  for (const statement of EVENTING_SCHEMA_STATEMENTS) await executor.query(statement);
}

/** The same schema as a TypeORM migration, for services that run TypeORM migrations. */
export class EventingSchema1764547200000 implements MigrationInterface {
  readonly name = 'EventingSchema1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of EVENTING_SCHEMA_V1_STATEMENTS) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN_STATEMENTS) await queryRunner.query(statement);
  }
}

/** Drops the commit-time NOTIFY of the events table (ADR 0206); the relay polls adaptively. */
export class EventingRelayPolling1764806400000 implements MigrationInterface {
  readonly name = 'EventingRelayPolling1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of RELAY_POLLING_STATEMENTS) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of EVENTING_SCHEMA_V1_STATEMENTS.filter((s) => s.includes('ionet_events_notify'))) await queryRunner.query(statement);
  }
}

/** Projection versions and stored rebuild status (ADR 0211). */
export class EventingProjectionOps1764979200000 implements MigrationInterface {
  readonly name = 'EventingProjectionOps1764979200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of PROJECTION_OPS_STATEMENTS) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('drop table if exists projection_rebuilds');
    await queryRunner.query('alter table projections drop column if exists version');
  }
}

/** Every eventing migration, in order: list them all in a service's TypeORM migrations. */
export const EVENTING_MIGRATIONS = [EventingSchema1764547200000, EventingRelayPolling1764806400000, EventingProjectionOps1764979200000] as const;
