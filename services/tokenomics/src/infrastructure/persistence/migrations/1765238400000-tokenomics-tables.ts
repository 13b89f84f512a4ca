import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tokenomics' own rows beside its event streams (ADR 0610): where the epoch schedule starts, each
 *  closed epoch with its emission and pools, the device records it was allocated from, and the
 *  rewards per recipient. Written in the transaction that appends the event they mirror. */
export class TokenomicsTables1765238400000 implements MigrationInterface {
  name = 'TokenomicsTables1765238400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table epoch_schedule (
        singleton boolean primary key default true check (singleton),
        first_epoch bigint not null check (first_epoch >= 1),
        decided_at timestamptz not null
      )`);
    await q.query(`
      create table epochs (
        epoch bigint primary key,
        epoch_start timestamptz not null,
        epoch_end timestamptz not null,
        closed_at timestamptz not null,
        eligible_gpu_device_hours bigint not null,
        eligible_cpu_device_hours bigint not null,
        emission_base_units numeric(40, 0),
        mint_transaction text,
        minted_at timestamptz,
        gpu_pool_base_units numeric(40, 0),
        cpu_pool_base_units numeric(40, 0),
        reserve_base_units numeric(40, 0),
        allocated_at timestamptz,
        heartbeat_merkle_root text,
        heartbeat_leaf_count bigint,
        heartbeat_root_transaction text
      )`);
    await q.query(`
      create table epoch_devices (
        epoch bigint not null,
        device_id text not null,
        supplier_id text not null,
        pool text not null check (pool in ('GPU', 'CPU')),
        model text not null,
        unit_count int not null,
        device_hours int not null,
        uptime_hours double precision not null,
        staked_base_units numeric(40, 0) not null,
        wallet text,
        connectivity_tier text,
        co_staker_wallet text,
        co_staker_share_bps int,
        reasons jsonb not null,
        primary key (epoch, device_id)
      )`);
    await q.query(`
      create table rewards (
        epoch bigint not null,
        device_id text not null,
        recipient_kind text not null check (recipient_kind in ('supplier', 'co_staker')),
        recipient_wallet text not null,
        supplier_id text not null,
        pool text not null,
        amount_base_units numeric(40, 0) not null,
        device_hours bigint not null,
        multiplier_bps int not null,
        allocated_at timestamptz not null,
        primary key (epoch, device_id, recipient_kind)
      )`);
    await q.query(`create index rewards_wallet_idx on rewards (recipient_wallet, epoch desc)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table rewards`);
    await q.query(`drop table epoch_devices`);
    await q.query(`drop table epochs`);
    await q.query(`drop table epoch_schedule`);
  }
}
