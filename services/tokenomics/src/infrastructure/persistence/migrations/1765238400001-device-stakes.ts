import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each device's stake as the epoch closer reads it (ADR 0611): the owner's bonded stake and the
 *  co-stake, whether that counts toward the minimum and whether it earns. Written in the transaction
 *  of the staking command that changes it. */
export class DeviceStakes1765238400001 implements MigrationInterface {
  name = 'DeviceStakes1765238400001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table device_stakes (
        device_id text primary key,
        owner_wallet text not null,
        counted_base_units numeric(40, 0) not null,
        co_staker_wallet text,
        co_staker_share_bps int,
        co_staker_earns boolean not null default false,
        updated_at timestamptz not null
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table device_stakes`);
  }
}
