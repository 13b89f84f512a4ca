import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The platform's own tables in every service database: API keys and Idempotency-Key records. */
export class PlatformTables1764028800000 implements MigrationInterface {
  name = 'PlatformTables1764028800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table api_keys (
        id uuid primary key,
        key_hash char(64) not null unique,
        display_prefix text not null,
        tenant_id text not null,
        scopes text[] not null check (cardinality(scopes) > 0),
        label text not null default '',
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      )`);
    await q.query(`create index api_keys_tenant_idx on api_keys (tenant_id)`);
    await q.query(`
      create table idempotency_keys (
        tenant_id text not null,
        idempotency_key text not null,
        request_fingerprint char(64) not null,
        response_status int,
        response_body jsonb,
        created_at timestamptz not null,
        completed_at timestamptz,
        primary key (tenant_id, idempotency_key)
      )`);
    await q.query(`create index idempotency_keys_created_idx on idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table idempotency_keys`);
    await q.query(`drop table api_keys`);
  }
}

/** The authoritative "done" record of every side effect run by a job (ADR 0007). */
export class PlatformJobEffects1764590400000 implements MigrationInterface {
  name = 'PlatformJobEffects1764590400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table job_effects (
        effect_id text primary key,
        queue text not null,
        job_name text not null,
        job_id text not null,
        completed_at timestamptz not null default now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table job_effects`);
  }
}

export const PLATFORM_MIGRATIONS = [PlatformTables1764028800000, PlatformJobEffects1764590400000];
