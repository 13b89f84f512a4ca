import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The payout of a charge on the charge itself, with an index of the charges on no payout yet: the
 *  payout job reads only those, however long the history grows (ADR 0322). */
export class BillingChargePayout1765000000003 implements MigrationInterface {
  name = 'BillingChargePayout1765000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`alter table money_movements add column payout_id text`);
    await q.query(`update money_movements m set payout_id = p.payout_id from payout_charges p where p.charge_id = m.movement_id`);
    await q.query(`drop table payout_charges`);
    await q.query(`create index money_movements_unpaid_idx on money_movements (position) where payout_id is null and type = 'charge'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index money_movements_unpaid_idx`);
    await q.query(`create table payout_charges (charge_id text primary key, payout_id text not null)`);
    await q.query(`insert into payout_charges (charge_id, payout_id) select movement_id, payout_id from money_movements where payout_id is not null`);
    await q.query(`alter table money_movements drop column payout_id`);
  }
}
