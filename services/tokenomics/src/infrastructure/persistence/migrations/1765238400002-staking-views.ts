import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The staking book as the API reads it (ADR 0611): positions per (device, wallet), unstakes and
 *  co-staking offers, each with the organization that may see it. Written from the book's state in
 *  the transaction of the command that changed it. */
export class StakingViews1765238400002 implements MigrationInterface {
  name = 'StakingViews1765238400002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table stake_positions (
        stake_id uuid primary key,
        device_id text not null,
        staker_wallet text not null,
        role text not null check (role in ('owner', 'co_staker')),
        tenant_id text not null,
        staked_base_units numeric(40, 0) not null,
        unbonding_base_units numeric(40, 0) not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    await q.query(`create index stake_positions_tenant_idx on stake_positions (tenant_id, created_at, stake_id)`);
    await q.query(`
      create table unstakes (
        unstake_id text primary key,
        stake_id uuid not null,
        device_id text not null,
        staker_wallet text not null,
        amount_base_units numeric(40, 0) not null,
        requested_at timestamptz not null,
        cooldown_ends_at timestamptz not null,
        withdrawn boolean not null
      )`);
    await q.query(`
      create table co_stake_offers (
        offer_id text primary key,
        device_id text not null,
        owner_wallet text not null,
        owner_tenant_id text not null,
        requested_base_units numeric(40, 0) not null,
        share_bps int not null,
        status text not null,
        co_staker_wallet text,
        co_staker_tenant_id text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table co_stake_offers`);
    await q.query(`drop table unstakes`);
    await q.query(`drop table stake_positions`);
  }
}
