import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Slashes as the API reads them (ADR 0612), written from the staking book in the command's
 *  transaction. */
export class Slashes1765238400003 implements MigrationInterface {
  name = 'Slashes1765238400003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table slashes (
        slash_id text primary key,
        device_id text not null,
        owner_tenant_id text not null,
        owner_wallet text not null,
        reason text not null,
        from_owner_base_units numeric(40, 0) not null,
        co_staker_wallet text,
        from_co_staker_base_units numeric(40, 0) not null,
        status text not null,
        evidence_event_id text not null,
        appeal_deadline_at timestamptz not null,
        slashed_at timestamptz not null,
        appealed_at timestamptz,
        updated_at timestamptz not null
      )`);
    await q.query(`create index slashes_open_deadline_idx on slashes (appeal_deadline_at) where status = 'open'`);
    await q.query(`create index slashes_tenant_idx on slashes (owner_tenant_id, slashed_at, slash_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table slashes`);
  }
}
