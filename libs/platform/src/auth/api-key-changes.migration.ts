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

export const API_KEY_MIGRATIONS = [ApiKeyChanges1764892800000];
