import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The invoice of a movement on the movement itself, with an index of the movements on no invoice
 *  yet: the invoice job reads only those, however long the history grows (ADR 0322). */
export class BillingMovementInvoice1765000000002 implements MigrationInterface {
  name = 'BillingMovementInvoice1765000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`alter table money_movements add column invoice_id text`);
    await q.query(`update money_movements m set invoice_id = i.invoice_id from invoice_movements i where i.movement_id = m.movement_id`);
    await q.query(`drop index money_movements_invoiceable_idx`);
    await q.query(`drop table invoice_movements`);
    await q.query(`create index money_movements_uninvoiced_idx on money_movements (organization_id, asset, position) where invoice_id is null and type in ('charge', 'fee', 'refund')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index money_movements_uninvoiced_idx`);
    await q.query(`create table invoice_movements (movement_id text primary key, invoice_id text not null)`);
    await q.query(`insert into invoice_movements (movement_id, invoice_id) select movement_id, invoice_id from money_movements where invoice_id is not null`);
    await q.query(`create index money_movements_invoiceable_idx on money_movements (occurred_at) where type in ('charge', 'fee', 'refund')`);
    await q.query(`alter table money_movements drop column invoice_id`);
  }
}
