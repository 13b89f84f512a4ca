import type { MigrationInterface, QueryRunner } from 'typeorm';

/** api_keys becomes billing's projection (ADR 0300): every change stamps changed_at, so each
 *  process's in-memory key map follows the table with one indexed read a second. */
export class ApiKeyChanges1764892800000 implements MigrationInterface {
  name = 'ApiKeyChanges1764892800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`alter table api_keys add column changed_at timestamptz not null default clock_timestamp()`);
    await q.query(`create index api_keys_changed_idx on api_keys (changed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index api_keys_changed_idx`);
    await q.query(`alter table api_keys drop column changed_at`);
  }
}

/** Any update stamps changed_at, also one written by hand (an operator revoking a key in SQL, a
 *  fixture): the key maps would not see it otherwise. */
export class ApiKeyChangeStamp1764979200000 implements MigrationInterface {
  name = 'ApiKeyChangeStamp1764979200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`create function api_keys_stamp_change() returns trigger language plpgsql as $$
      begin new.changed_at := clock_timestamp(); return new; end $$`);
    await q.query(`create trigger api_keys_stamp_change before update on api_keys for each row execute function api_keys_stamp_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop trigger api_keys_stamp_change on api_keys`);
    await q.query(`drop function api_keys_stamp_change()`);
  }
}

export const API_KEY_MIGRATIONS = [ApiKeyChanges1764892800000, ApiKeyChangeStamp1764979200000];
