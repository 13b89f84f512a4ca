import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The single-writer guarantee (ADR 0500): a device is in at most one live reservation because its
 * id is the primary key of `reservations`; a row lives from the quote's hold until its release, in
 * the same transactions as the quote's events. `lease_quotes` maps a lease to the quote it came from.
 */
export class MatchingReservations1764590400000 implements MigrationInterface {
  name = 'MatchingReservations1764590400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table reservations (
        device_id uuid primary key,
        quote_id uuid not null,
        lease_id text,
        held_at timestamptz not null
      )`);
    await q.query(`create index reservations_quote on reservations (quote_id)`);
    await q.query(`create index reservations_lease on reservations (lease_id) where lease_id is not null`);
    await q.query(`
      create table lease_quotes (
        lease_id text primary key,
        quote_id uuid not null
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table lease_quotes`);
    await q.query(`drop table reservations`);
  }
}
