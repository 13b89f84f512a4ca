import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InventorySuppliers1764032400000 implements MigrationInterface {
  name = 'InventorySuppliers1764032400000';

  async up(q: QueryRunner): Promise<void> {
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

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table suppliers`);
  }
}
