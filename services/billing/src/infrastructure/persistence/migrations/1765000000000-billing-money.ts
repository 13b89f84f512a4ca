import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Billing's money state beside its event store, written in the transaction of every append
 *  (ADR 0320): balances a funding decision locks, the movements behind transactions, invoices and
 *  payouts, and the fundings a deposit may complete. */
export class BillingMoney1765000000000 implements MigrationInterface {
  name = 'BillingMoney1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table account_balances (
        organization_id text not null,
        asset text not null check (asset in ('USDC', 'IO', 'CREDIT')),
        available_base_units numeric(40, 0) not null default 0 check (available_base_units >= 0),
        escrow_base_units numeric(40, 0) not null default 0 check (escrow_base_units >= 0),
        updated_at timestamptz not null,
        primary key (organization_id, asset)
      )`);
    await q.query(`
      create table money_movements (
        position bigserial not null,
        movement_id text primary key,
        organization_id text not null,
        type text not null check (type in ('deposit', 'escrow', 'charge', 'refund', 'fee', 'payout')),
        subtype text not null,
        asset text not null check (asset in ('USDC', 'IO', 'CREDIT')),
        amount_base_units numeric(40, 0) not null check (amount_base_units >= 0),
        lease_id text,
        supplier_id text,
        device_id text,
        hour_index int,
        hour_start timestamptz,
        hour_end timestamptz,
        gpu_count int,
        price_per_gpu_hour_base_units numeric(40, 0),
        compute_base_units numeric(40, 0),
        customer_fee_base_units numeric(40, 0),
        supplier_earnings_base_units numeric(40, 0),
        platform_fee_base_units numeric(40, 0),
        device_hours int,
        reason text,
        source_event_id text not null,
        occurred_at timestamptz not null
      )`);
    await q.query(`create index money_movements_org_time_idx on money_movements (organization_id, occurred_at, position)`);
    await q.query(`create index money_movements_lease_idx on money_movements (lease_id, hour_index)`);
    await q.query(`create index money_movements_supplier_charges_idx on money_movements (supplier_id) where type = 'charge'`);
    await q.query(`
      create table escrow_fundings (
        funding_id text primary key,
        lease_id text not null,
        organization_id text not null,
        asset text not null,
        required_base_units numeric(40, 0) not null,
        deadline timestamptz not null,
        status text not null check (status in ('deferred', 'locked', 'failed')),
        created_at timestamptz not null
      )`);
    await q.query(`create index escrow_fundings_waiting_idx on escrow_fundings (organization_id, asset, created_at) where status = 'deferred'`);
    await q.query(`
      create table lease_accounts (
        lease_id text primary key,
        organization_id text not null,
        asset text not null,
        io_price_usd_micros numeric(40, 0) not null,
        booked_hours int not null default 0,
        opened_at timestamptz not null,
        ended_at timestamptz
      )`);
    await q.query(`create index lease_accounts_org_idx on lease_accounts (organization_id)`);
    await q.query(`
      create table payouts (
        payout_id text primary key,
        supplier_id text not null,
        asset text not null,
        amount_base_units numeric(40, 0) not null,
        period_start timestamptz not null,
        period_end timestamptz not null,
        device_hours int not null,
        charge_ids text[] not null,
        chain_transaction_signature text,
        due_at timestamptz not null
      )`);
    await q.query(`create index payouts_supplier_idx on payouts (supplier_id, due_at, payout_id)`);
    await q.query(`create table payout_charges (charge_id text primary key, payout_id text not null)`);
    await q.query(`
      create table invoices (
        invoice_id text primary key,
        organization_id text not null,
        asset text not null,
        period_start timestamptz not null,
        period_end timestamptz not null,
        lines jsonb not null,
        charges_base_units numeric(40, 0) not null,
        fees_base_units numeric(40, 0) not null,
        refunds_base_units numeric(40, 0) not null,
        total_base_units numeric(40, 0) not null,
        issued_at timestamptz not null
      )`);
    await q.query(`create index invoices_org_idx on invoices (organization_id, period_start, invoice_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['invoices', 'payout_charges', 'payouts', 'lease_accounts', 'escrow_fundings', 'money_movements', 'account_balances']) await q.query(`drop table ${table}`);
  }
}
