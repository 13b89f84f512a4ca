import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Suppliers become an event-sourced aggregate: the state table gives way to the event store and
 *  the catalogue projection (whose tables and views the projection manager installs). */
export class InventoryEventSourced1764115200000 implements MigrationInterface {
  name = 'InventoryEventSourced1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`drop table suppliers`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      create table suppliers (
        supplier_id uuid primary key,
        tenant_id text not null,
        name text not null,
        source text not null check (source in ('data_center', 'mining_farm', 'individual', 'partner_network')),
        partner_network text,
        payout_wallet text,
        registered_at timestamptz not null
      )`);
    await q.query(`create index suppliers_tenant_registered_idx on suppliers (tenant_id, registered_at, supplier_id)`);
  }
}
