import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which devices each lease holds, as leasing's LeaseCreated slots name them (LeaseActivated and
 *  LeaseTerminated name none): the lifecycle consumer's own state, written in its batch
 *  transaction with its offsets (ADR 0403). */
export class InventoryLeaseDevices1764547200000 implements MigrationInterface {
  name = 'InventoryLeaseDevices1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table lease_devices (
        lease_id text not null,
        device_id text not null,
        primary key (lease_id, device_id)
      )`);
    await q.query(`
      create table leases (
        lease_id text primary key,
        activated_at timestamptz,
        terminated_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table lease_devices`);
    await q.query(`drop table leases`);
  }
}
