import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which invoice each movement is on: a movement committed after its period's invoice was issued goes
 *  on the next one instead of on none (ADR 0322). */
export class BillingInvoiceMovements1765000000001 implements MigrationInterface {
  name = 'BillingInvoiceMovements1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`create table invoice_movements (movement_id text primary key, invoice_id text not null)`);
    await q.query(`create index money_movements_invoiceable_idx on money_movements (occurred_at) where type in ('charge', 'fee', 'refund')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index money_movements_invoiceable_idx`);
    await q.query(`drop table invoice_movements`);
  }
}
