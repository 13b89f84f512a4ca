import { chainOperationsStatements } from '@ionet/chain';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The chain gateway's operation record (ADR 0600) and the executions of the ledger's and
 *  billing's decisions (ADR 0601): one row per decision executed, written in the transaction that
 *  appends its result event, so the totals (emitted, burned) and the sweep agree with the events. */
export class TokenomicsChainTables1765324800000 implements MigrationInterface {
  name = 'TokenomicsChainTables1765324800000';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of chainOperationsStatements()) await q.query(statement);
    await q.query(`
      create table if not exists chain_executions (
        decision_id text primary key,
        kind text not null check (kind in ('emission-mint', 'payout', 'buyback', 'proof-root')),
        asset text,
        amount_base_units numeric(40, 0) not null default 0,
        burned_base_units numeric(40, 0) not null default 0,
        signature text not null,
        executed_at timestamptz not null
      )`);
    await q.query(`
      create table if not exists chain_supply_checks (
        period_index bigint primary key,
        ledger_supply_base_units numeric(40, 0) not null,
        chain_supply_base_units numeric(40, 0) not null,
        checked_at timestamptz not null
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('drop table if exists chain_supply_checks');
    await q.query('drop table if exists chain_executions');
    await q.query('drop table if exists chain_operations');
  }
}
