import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ASSETS, AccountNames, isAsset, standardAccountFlags, type Asset } from '@ionet/ledger';
import { decodeCursor, PG_POOL, toPage, type Page } from '@ionet/platform';
import { GENESIS_SUPPLY_BASE_UNITS, MAX_SUPPLY_BASE_UNITS } from '@ionet/tokenomics';
import type { Pool } from 'pg';
import { LEDGER_PROJECTION, LEDGER_TABLES } from './projections/ledger.projection';

export interface MoneyView {
  amountBaseUnits: string;
  asset: Asset;
}

export interface AccountBalanceView {
  asset: Asset;
  debitsPostedBaseUnits: string;
  creditsPostedBaseUnits: string;
  /** Credits minus debits: what a holder's account holds (negative for issuance accounts such as token:minted). */
  balance: MoneyView;
}

export interface EntryView {
  entryId: string;
  at: string;
  sourceEventId: string;
  sourceEventType: string;
  memo: string;
  legs: Array<{ account: string; side: 'debit' | 'credit'; amount: MoneyView }>;
}

export interface InvariantViolationView {
  code: string;
  message: string;
  account?: string;
  asset?: Asset;
  entryId?: string;
}

export interface InvariantReport {
  ok: boolean;
  checkedAt: string;
  stateHash: string;
  entryCount: number;
  allEntriesBalance: boolean;
  totals: Array<{ asset: Asset; debitsPostedBaseUnits: string; creditsPostedBaseUnits: string; balanced: boolean }>;
  negativeAccounts: Array<{ account: string; asset: Asset; balance: MoneyView }>;
  ioSupply: { genesisBaseUnits: string; mintedBaseUnits: string; burnedBaseUnits: string; circulatingBaseUnits: string; maxBaseUnits: string; withinCap: boolean };
  violations: InvariantViolationView[];
}

interface BalanceRow {
  account: string;
  asset: string;
  debits: string;
  credits: string;
}

const BALANCES_SQL = `select account, asset, debits_posted_base_units::text as debits, credits_posted_base_units::text as credits from ${LEDGER_TABLES.balances}`;

/** Each check lists at most this many offenders: the report stays small on a broken ledger. */
const VIOLATIONS_PER_CHECK_MAX = 20;

/** The ledger's read side over the projection's views (the live generation). */
@Injectable()
export class LedgerQueries {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async account(account: string): Promise<AccountBalanceView[]> {
    const { rows } = await this.pool.query<BalanceRow>(
      `select account, asset, debits_posted_base_units::text as debits, credits_posted_base_units::text as credits from ${LEDGER_TABLES.balances} where account = $1`,
      [account],
    );
    return sortBalances(rows).map((r) => ({
      asset: r.asset as Asset,
      debitsPostedBaseUnits: r.debits,
      creditsPostedBaseUnits: r.credits,
      balance: { amountBaseUnits: (BigInt(r.credits) - BigInt(r.debits)).toString(), asset: r.asset as Asset },
    }));
  }

  async entries(account: string | undefined, limit: number, cursor: string | undefined): Promise<Page<EntryView>> {
    const params: unknown[] = [];
    const where: string[] = [];
    const source = account ? `${LEDGER_TABLES.accountEntries} a join ${LEDGER_TABLES.entries} e using (at, entry_id)` : `${LEDGER_TABLES.entries} e`;
    if (account) {
      params.push(account);
      where.push(`a.account = $${params.length}`);
    }
    if (cursor) {
      const after = decodeCursor(cursor, { at: 'timestamp', entryId: 'uuid' });
      params.push(after.at, after.entryId);
      where.push(`(e.at, e.entry_id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const { rows } = await this.pool.query<{ at: Date; entry_id: string; source_event_id: string; source_event_type: string; memo: string; legs: Array<{ account: string; asset: Asset; side: 'debit' | 'credit'; amountBaseUnits: string }> }>(
      `select e.at, e.entry_id, e.source_event_id, e.source_event_type, e.memo, e.legs from ${source}
        ${where.length ? `where ${where.join(' and ')}` : ''} order by e.at, e.entry_id limit $${params.length}`,
      params,
    );
    const items = rows.map((r) => ({
      entryId: r.entry_id,
      at: r.at.toISOString(),
      sourceEventId: r.source_event_id,
      sourceEventType: r.source_event_type,
      memo: r.memo,
      legs: r.legs.map((l) => ({ account: l.account, side: l.side, amount: { amountBaseUnits: l.amountBaseUnits, asset: l.asset } })),
    }));
    return toPage(items, limit, (item) => ({ at: item.at, entryId: item.entryId }));
  }

  /** sha256 over the sorted balances, in the very form of `Ledger.stateHash()` of @ionet/ledger, so an
   *  in-memory ledger fed the same entries (a test, the simulation) hashes equal. */
  async stateHash(): Promise<{ stateHash: string; balanceCount: number; generation: number }> {
    // One snapshot: the generation and the balances it serves are read in the same transaction.
    const client = await this.pool.connect();
    try {
      await client.query('begin isolation level repeatable read read only');
      const generation = await client.query<{ generation: number }>(`select generation from projections where name = $1`, [LEDGER_PROJECTION]);
      const rows = sortBalances((await client.query<BalanceRow>(BALANCES_SQL)).rows);
      await client.query('commit');
      return { stateHash: hashBalances(rows), balanceCount: rows.length, generation: generation.rows[0]?.generation ?? 0 };
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async invariants(now: Date): Promise<InvariantReport> {
    const violations: InvariantViolationView[] = [];
    const rows = sortBalances(await this.balances());

    const unbalanced = await this.pool.query<{ entry_id: string; asset: Asset }>(
      `select e.entry_id, l->>'asset' as asset from ${LEDGER_TABLES.entries} e cross join lateral jsonb_array_elements(e.legs) l
        group by e.entry_id, l->>'asset'
       having sum(case when l->>'side' = 'debit' then (l->>'amountBaseUnits')::numeric else -(l->>'amountBaseUnits')::numeric end) <> 0
        limit ${VIOLATIONS_PER_CHECK_MAX}`,
    );
    for (const r of unbalanced.rows) {
      violations.push({ code: 'LEDGER.INVARIANT.UNBALANCED_RECORD', message: `entry ${r.entry_id} does not balance in ${r.asset}`, entryId: r.entry_id, asset: r.asset });
    }

    const mismatched = await this.pool.query<{ account: string; asset: Asset }>(
      `with sums as (
         select l->>'account' as account, l->>'asset' as asset,
                sum(case when l->>'side' = 'debit' then (l->>'amountBaseUnits')::numeric else 0 end) as debits,
                sum(case when l->>'side' = 'credit' then (l->>'amountBaseUnits')::numeric else 0 end) as credits
           from ${LEDGER_TABLES.entries} e cross join lateral jsonb_array_elements(e.legs) l group by 1, 2)
       select coalesce(s.account, b.account) as account, coalesce(s.asset, b.asset) as asset
         from sums s full join ${LEDGER_TABLES.balances} b on b.account = s.account and b.asset = s.asset
        where s.debits is distinct from b.debits_posted_base_units or s.credits is distinct from b.credits_posted_base_units
        limit ${VIOLATIONS_PER_CHECK_MAX}`,
    );
    for (const r of mismatched.rows) {
      violations.push({ code: 'LEDGER.INVARIANT.BALANCE_MISMATCH', message: `${r.account} ${r.asset}: balance differs from the sum of its entries`, account: r.account, asset: r.asset });
    }

    const totals = new Map<Asset, { debits: bigint; credits: bigint }>();
    const negativeAccounts: InvariantReport['negativeAccounts'] = [];
    for (const r of rows) {
      const asset = r.asset as Asset;
      const t = totals.get(asset) ?? { debits: 0n, credits: 0n };
      const debits = BigInt(r.debits);
      const credits = BigInt(r.credits);
      t.debits += debits;
      t.credits += credits;
      totals.set(asset, t);
      const breach = flagBreach(r.account, debits, credits);
      if (breach) {
        negativeAccounts.push({ account: r.account, asset, balance: { amountBaseUnits: (credits - debits).toString(), asset } });
        if (negativeAccounts.length <= VIOLATIONS_PER_CHECK_MAX) violations.push({ code: 'LEDGER.INVARIANT.FLAG_VIOLATED', message: `${r.account} ${asset}: breaks ${breach}`, account: r.account, asset });
      }
    }
    const totalsView = [...totals].map(([asset, t]) => ({ asset, debitsPostedBaseUnits: t.debits.toString(), creditsPostedBaseUnits: t.credits.toString(), balanced: t.debits === t.credits }));
    for (const t of totalsView) if (!t.balanced) violations.push({ code: 'LEDGER.INVARIANT.TOTALS_UNBALANCED', message: `total debits and credits differ in ${t.asset}`, asset: t.asset });

    const io = (account: string) => rows.find((r) => r.account === account && r.asset === 'IO');
    const mintedRow = io(AccountNames.tokenMinted);
    const burnedRow = io(AccountNames.tokenBurned);
    const minted = mintedRow ? BigInt(mintedRow.debits) - BigInt(mintedRow.credits) : 0n;
    const burned = burnedRow ? BigInt(burnedRow.credits) - BigInt(burnedRow.debits) : 0n;
    const circulating = GENESIS_SUPPLY_BASE_UNITS + minted - burned;
    const withinCap = GENESIS_SUPPLY_BASE_UNITS + minted <= MAX_SUPPLY_BASE_UNITS;
    if (!withinCap) violations.push({ code: 'LEDGER.INVARIANT.SUPPLY_CAP_EXCEEDED', message: `genesis + minted ${GENESIS_SUPPLY_BASE_UNITS + minted} exceeds the cap ${MAX_SUPPLY_BASE_UNITS}`, asset: 'IO' });

    const count = await this.pool.query<{ n: string }>(`select count(*)::text as n from ${LEDGER_TABLES.entries}`);
    return {
      ok: violations.length === 0,
      checkedAt: now.toISOString(),
      stateHash: hashBalances(rows),
      entryCount: Number(count.rows[0]!.n),
      allEntriesBalance: unbalanced.rows.length === 0,
      totals: totalsView,
      negativeAccounts,
      ioSupply: {
        genesisBaseUnits: GENESIS_SUPPLY_BASE_UNITS.toString(),
        mintedBaseUnits: minted.toString(),
        burnedBaseUnits: burned.toString(),
        circulatingBaseUnits: circulating.toString(),
        maxBaseUnits: MAX_SUPPLY_BASE_UNITS.toString(),
        withinCap,
      },
      violations,
    };
  }

  private async balances(): Promise<BalanceRow[]> {
    return (await this.pool.query<BalanceRow>(BALANCES_SQL)).rows;
  }
}

/** Sorted as `Ledger.balances()` sorts: by account (JavaScript string order, not the database's
 *  collation), then by the asset's place in ASSETS. */
function sortBalances(rows: BalanceRow[]): BalanceRow[] {
  const rank = (asset: string) => (isAsset(asset) ? ASSETS.indexOf(asset) : ASSETS.length);
  return [...rows].sort((x, y) => (x.account < y.account ? -1 : x.account > y.account ? 1 : rank(x.asset) - rank(y.asset)));
}

function hashBalances(sorted: BalanceRow[]): string {
  const hash = createHash('sha256');
  for (const r of sorted) {
    if (r.debits === '0' && r.credits === '0') continue;
    // The projection books posted amounts only (no pending transfers): both pending parts are 0.
    hash.update(`${r.account}\t${r.asset}\t${r.debits}\t${r.credits}\t0\t0\n`);
  }
  return hash.digest('hex');
}

/**
 * Which flag of ADR 0101 a balance breaks. Accounts of the outside world (`external:*`) are not
 * checked here: the service books deposits from them without a genesis entry, so they go negative
 * by design (ADR 0330).
 */
function flagBreach(account: string, debits: bigint, credits: bigint): string | undefined {
  if (account.startsWith('external:')) return undefined;
  const flags = standardAccountFlags(account);
  if (flags.debitsMustNotExceedCredits && debits > credits) return 'debitsMustNotExceedCredits';
  if (flags.creditsMustNotExceedDebits && credits > debits) return 'creditsMustNotExceedDebits';
  if (flags.debitsOnly && credits !== 0n) return 'debitsOnly';
  if (flags.creditsOnly && debits !== 0n) return 'creditsOnly';
  return undefined;
}
