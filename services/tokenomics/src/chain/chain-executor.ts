import { Inject, Injectable } from '@nestjs/common';
import { ChainError, CUSTODY, type ChainAsset } from '@ionet/chain';
import { tokenomicsV1, toWire, type DomainMoney } from '@ionet/contracts';
import { derivedId, EventStore, PgTransactionRunner, type NewEvent, type SqlExecutor } from '@ionet/eventing';
import { CLOCK, CONFIG, LOGGER, PG_POOL, type Clock, type Logger } from '@ionet/platform';
import { MAX_SUPPLY_BASE_UNITS } from '@ionet/tokenomics';
import type { Pool } from 'pg';
import type { TokenomicsConfig } from '../tokenomics.config';
import type { ChainDecisionKind } from './chain-decisions.projection';
import { ChainRuntime, MARKET_CUSTODY } from './chain-runtime';

/** Decisions one sweep executes at most; the rest wait for the next. */
const DECISIONS_PER_SWEEP_MAX = 200;
/** Serialises what moves IO's supply (mints, burns) with the reconciliation that reads it, so a
 *  check never sees a mint on chain before its books. */
const SUPPLY_LOCK_KEY = 'tokenomics-chain-supply';

interface DecisionRow {
  decision_id: string;
  kind: ChainDecisionKind;
  payload: Record<string, unknown>;
  source_event_id: string;
}

interface Recorded {
  readonly asset: ChainAsset | null;
  readonly amountBaseUnits: bigint;
  readonly burnedBaseUnits: bigint;
  readonly signature: string;
  readonly events: (totals: Totals) => NewEvent[];
}

interface Totals {
  readonly mintedBaseUnits: bigint;
  readonly burnedBaseUnits: bigint;
}

/** A decision that cannot run yet (no payout wallet): it stays pending, the sweep moves on. */
export class DecisionNotReady extends Error {}

export interface TokenSupplyView {
  asset: 'IO';
  decimals: number;
  mint: string;
  adapter: 'embedded' | 'rpc';
  genesisBaseUnits: string;
  mintedBaseUnits: string;
  burnedBaseUnits: string;
  /** genesis + minted - burned, as the events (and the ledger) book it. */
  ledgerSupplyBaseUnits: string;
  /** The mint's supply on chain. */
  chainSupplyBaseUnits: string;
  /** On-chain supply less what the platform's custody accounts hold. */
  circulatingBaseUnits: string;
  maxSupplyBaseUnits: string;
  /** chain - ledger. */
  differenceBaseUnits: string;
  inSync: boolean;
}

/** Executes the ledger's and billing's decisions on chain (ADR 0601): each by an operation id
 *  derived from its decision, then its result event appended with the execution's row in one
 *  transaction. A crash in between leaves the operation recorded by the gateway: the next sweep
 *  gets it back without sending anything and appends the event. */
@Injectable()
export class ChainExecutor {
  private readonly transactions: PgTransactionRunner;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: TokenomicsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly store: EventStore,
    private readonly chain: ChainRuntime,
  ) {
    this.transactions = new PgTransactionRunner(pool);
  }

  /** Executes pending decisions, oldest first. One that cannot run yet (no wallet, a refusal such
   *  as an unfunded float) or fails (the chain or the database down) waits for the next sweep and
   *  never holds back the others. */
  async executePending(limit = DECISIONS_PER_SWEEP_MAX): Promise<{ executed: number; waiting: number; failed: number }> {
    const { rows } = await this.pool.query<DecisionRow>(
      `select d.decision_id, d.kind, d.payload, d.source_event_id from chain_decisions d
       where not exists (select 1 from chain_executions e where e.decision_id = d.decision_id)
       order by d.decided_at, d.decision_id limit $1`,
      [limit],
    );
    let executed = 0;
    let waiting = 0;
    let failed = 0;
    for (const row of rows) {
      try {
        await this.execute(row);
        executed += 1;
      } catch (error) {
        if (error instanceof DecisionNotReady || (error instanceof ChainError && error.kind !== 'fault')) {
          waiting += 1;
          this.logger.warn({ decisionId: row.decision_id, reason: error.message }, 'chain decision waits');
        } else {
          failed += 1;
          this.logger.error({ decisionId: row.decision_id, err: error }, 'chain decision failed; retried on the next sweep');
        }
      }
    }
    return { executed, waiting, failed };
  }

  private execute(row: DecisionRow): Promise<void> {
    switch (row.kind) {
      case 'emission-mint':
        return this.withSupplyLock(() => this.emissionMint(row));
      case 'buyback':
        return this.withSupplyLock(() => this.buyback(row));
      case 'payout':
        return this.payout(row);
      case 'proof-root':
        return this.proofRoot(row);
      default: {
        const never: never = row.kind;
        throw new Error(`unknown chain decision kind ${String(never)}`);
      }
    }
  }

  private async emissionMint(row: DecisionRow): Promise<void> {
    const amount = moneyOf(row.payload.amount);
    if (amount.asset !== 'IO') throw new Error(`emission ${row.decision_id} is not in IO`);
    const epochNumber = BigInt(String(row.payload.epochNumber));
    const gateway = await this.chain.gateway();
    const operation = await gateway.mint({ operationId: row.decision_id, asset: 'IO', to: { custody: CUSTODY.emissionReserve }, amountBaseUnits: amount.amountBaseUnits });
    const at = this.clock.now();
    await this.record(row, {
      asset: 'IO',
      amountBaseUnits: amount.amountBaseUnits,
      burnedBaseUnits: 0n,
      signature: operation.signature,
      events: (totals) => [
        event(tokenomicsV1.EmissionMintedSchema, {
          epochNumber,
          amount,
          totalEmitted: { amountBaseUnits: totals.mintedBaseUnits, asset: 'IO' },
          chainTransactionSignature: operation.signature,
          mintedAt: at,
        }, at),
      ],
    });
  }

  private async payout(row: DecisionRow): Promise<void> {
    const amount = moneyOf(row.payload.amount);
    const supplierId = String(row.payload.supplierId);
    const { rows } = await this.pool.query<{ payout_wallet: string }>('select payout_wallet from chain_supplier_wallets where supplier_id = $1', [supplierId]);
    const wallet = rows[0]?.payout_wallet;
    if (!wallet) throw new DecisionNotReady(`supplier ${supplierId} has no payout wallet yet`);
    const asset = chainAssetOf(amount.asset);
    const gateway = await this.chain.gateway();
    if ((await gateway.operation(row.decision_id))?.status !== 'confirmed') await this.chain.ensureFloat(CUSTODY.payouts, asset, amount.amountBaseUnits, `${row.decision_id}.float`);
    const operation = await gateway.transfer({ operationId: row.decision_id, asset, from: { custody: CUSTODY.payouts }, to: { wallet }, amountBaseUnits: amount.amountBaseUnits });
    const at = this.clock.now();
    await this.record(row, {
      asset,
      amountBaseUnits: amount.amountBaseUnits,
      burnedBaseUnits: 0n,
      signature: operation.signature,
      events: () => [
        event(tokenomicsV1.PayoutTransferredSchema, {
          payoutId: String(row.payload.payoutId),
          supplierId,
          wallet,
          amount,
          periodStart: new Date(String(row.payload.periodStart)),
          periodEnd: new Date(String(row.payload.periodEnd)),
          chainTransactionSignature: operation.signature,
          transferredAt: at,
        }, at),
      ],
    });
  }

  private async buyback(row: DecisionRow): Promise<void> {
    const spent = moneyOf(row.payload.buybackAmount);
    const sold = chainAssetOf(spent.asset);
    if (sold !== 'USDC') throw new Error(`buyback ${row.decision_id} spends ${spent.asset}, not a dollar asset`);
    const buybackId = String(row.payload.buybackRequestId);
    const gateway = await this.chain.gateway();
    const swapId = `${row.decision_id}.swap`;
    if ((await gateway.operation(swapId))?.status !== 'confirmed') await this.chain.ensureFloat(CUSTODY.buyback, 'USDC', spent.amountBaseUnits, `${row.decision_id}.float`);
    const swap = await (await this.chain.swap()).swap({ operationId: swapId, sell: 'USDC', buy: 'IO', amountInBaseUnits: spent.amountBaseUnits, custody: CUSTODY.buyback, minimumOutBaseUnits: 0n });
    const at = this.clock.now();
    const burnId = `${row.decision_id}.burn`;
    const burn = await gateway.burn({ operationId: burnId, asset: 'IO', from: { custody: CUSTODY.buyback }, amountBaseUnits: swap.boughtBaseUnits });
    // The burn comes after the purchase it burns, in time as on chain: the ledger's journal, read in
    // time order, then never burns IO treasury:buyback does not hold yet.
    const burnedAt = new Date(Math.max(this.clock.now().getTime(), at.getTime() + 1));
    const bought = { amountBaseUnits: swap.boughtBaseUnits, asset: 'IO' };
    await this.record(row, {
      asset: 'IO',
      amountBaseUnits: swap.boughtBaseUnits,
      burnedBaseUnits: swap.boughtBaseUnits,
      signature: burn.signature,
      events: (totals) => [
        event(tokenomicsV1.BuybackExecutedSchema, { buybackId, spent, bought, chainTransactionSignature: swap.signature, executedAt: at }, at),
        event(tokenomicsV1.TokensBurnedSchema, {
          burnId,
          amount: bought,
          reason: 'buyback',
          sourceId: buybackId,
          totalBurned: { amountBaseUnits: totals.burnedBaseUnits, asset: 'IO' },
          chainTransactionSignature: burn.signature,
          burnedAt,
        }, burnedAt),
      ],
    });
  }

  /** The hour's heartbeat root in a memo: anyone reads it back from the transaction. */
  private async proofRoot(row: DecisionRow): Promise<void> {
    const epochNumber = BigInt(String(row.payload.epochNumber));
    const rootHex = String(row.payload.merkleRoot);
    if (!/^[0-9a-f]{2,128}$/.test(rootHex)) throw new Error(`proof root of ${row.decision_id} is not hex`);
    const leafCount = BigInt(String(row.payload.leafCount));
    const memo = `ionet:heartbeat-root:v1:${epochNumber}:${leafCount}:${rootHex}`;
    const operation = await (await this.chain.gateway()).memo({ operationId: row.decision_id, text: memo });
    const at = this.clock.now();
    await this.record(row, {
      asset: null,
      amountBaseUnits: 0n,
      burnedBaseUnits: 0n,
      signature: operation.signature,
      events: () => [
        event(tokenomicsV1.ProofRootAnchoredSchema, {
          epochNumber,
          merkleRoot: Buffer.from(rootHex, 'hex'),
          leafCount,
          merkleAlgorithm: String(row.payload.merkleAlgorithm),
          memo,
          chainTransactionSignature: operation.signature,
          anchoredAt: at,
        }, at),
      ],
    });
  }

  /** The execution's row and its events, in one transaction; a decision already recorded (another
   *  replica, a retried sweep) appends nothing. */
  private async record(row: DecisionRow, recorded: Recorded): Promise<void> {
    await this.transactions.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', ['tokenomics-chain-totals']);
      const inserted = await tx.query(
        `insert into chain_executions (decision_id, kind, asset, amount_base_units, burned_base_units, signature, executed_at)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (decision_id) do nothing`,
        [row.decision_id, row.kind, recorded.asset, recorded.amountBaseUnits.toString(), recorded.burnedBaseUnits.toString(), recorded.signature, this.clock.now()],
      );
      if (inserted.rowCount !== 1) return;
      const events = recorded.events(await totalsOf(tx)).map((e, index) => ({ ...e, eventId: derivedId('event', row.decision_id, String(index)) }));
      await this.store.append(tx, {
        streamId: `chain-${row.decision_id}`,
        streamType: 'chain-execution',
        expectedVersion: 'no_stream',
        correlationId: row.source_event_id,
        causationId: row.source_event_id,
        events,
      });
    });
  }

  /** The books beside the chain (GET /v1/token/supply). */
  async supply(): Promise<TokenSupplyView> {
    const gateway = await this.chain.gateway();
    const [totals, mint] = await Promise.all([totalsOf(this.pool), gateway.mintInfo('IO')]);
    return this.supplyView(totals, mint.supplyBaseUnits, mint.decimals, mint.address, gateway.adapter, await this.custodyHoldings());
  }

  /** Compares the books with the chain, under the supply lock; a difference appends one
   *  SupplyMismatchDetected for the clock period (the check's id derives from it). */
  async reconcile(periodIndex: number): Promise<TokenSupplyView> {
    return this.withSupplyLock(async () => {
      const view = await this.supply();
      const at = this.clock.now();
      await this.transactions.transaction(async (tx) => {
        const inserted = await tx.query(
          `insert into chain_supply_checks (period_index, ledger_supply_base_units, chain_supply_base_units, checked_at) values ($1, $2, $3, $4) on conflict (period_index) do nothing`,
          [periodIndex, view.ledgerSupplyBaseUnits, view.chainSupplyBaseUnits, at],
        );
        if (inserted.rowCount !== 1 || view.inSync) return;
        const checkId = derivedId('supply-check', String(periodIndex));
        await this.store.append(tx, {
          streamId: `supply-check-${periodIndex}`,
          streamType: 'supply-check',
          expectedVersion: 'no_stream',
          events: [
            {
              ...event(tokenomicsV1.SupplyMismatchDetectedSchema, {
                checkId,
                ledgerSupply: { amountBaseUnits: BigInt(view.ledgerSupplyBaseUnits), asset: 'IO' },
                chainSupply: { amountBaseUnits: BigInt(view.chainSupplyBaseUnits), asset: 'IO' },
                differenceBaseUnits: view.differenceBaseUnits,
                detectedAt: at,
              }, at),
              eventId: derivedId('event', checkId),
            },
          ],
        });
        this.logger.error({ ledger: view.ledgerSupplyBaseUnits, chain: view.chainSupplyBaseUnits }, 'IO supply on chain differs from the books');
      });
      return view;
    });
  }

  private supplyView(totals: Totals, chainSupply: bigint, decimals: number, mint: string, adapter: 'embedded' | 'rpc', custodyIo: bigint): TokenSupplyView {
    const genesis = this.config.CHAIN_IO_GENESIS_BASE_UNITS;
    const books = genesis + totals.mintedBaseUnits - totals.burnedBaseUnits;
    return {
      asset: 'IO',
      decimals,
      mint,
      adapter,
      genesisBaseUnits: genesis.toString(),
      mintedBaseUnits: totals.mintedBaseUnits.toString(),
      burnedBaseUnits: totals.burnedBaseUnits.toString(),
      ledgerSupplyBaseUnits: books.toString(),
      chainSupplyBaseUnits: chainSupply.toString(),
      circulatingBaseUnits: (chainSupply - custodyIo).toString(),
      maxSupplyBaseUnits: MAX_SUPPLY_BASE_UNITS.toString(),
      differenceBaseUnits: (chainSupply - books).toString(),
      inSync: chainSupply === books,
    };
  }

  private async custodyHoldings(): Promise<bigint> {
    const gateway = await this.chain.gateway();
    const names = [...Object.values(CUSTODY), MARKET_CUSTODY];
    const balances = await Promise.all(names.map((custody) => gateway.balance('IO', { custody })));
    return balances.reduce((sum, b) => sum + b, 0n);
  }

  private async withSupplyLock<T>(work: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let released = false;
    try {
      await client.query('select pg_advisory_lock(hashtext($1))', [SUPPLY_LOCK_KEY]);
      const result = await work();
      await client.query('select pg_advisory_unlock(hashtext($1))', [SUPPLY_LOCK_KEY]);
      client.release();
      released = true;
      return result;
    } finally {
      if (!released) client.release(true);
    }
  }
}

async function totalsOf(sql: SqlExecutor): Promise<Totals> {
  const { rows } = await sql.query<{ minted: string; burned: string }>(
    `select coalesce(sum(amount_base_units) filter (where kind = 'emission-mint'), 0)::text as minted, coalesce(sum(burned_base_units), 0)::text as burned from chain_executions`,
  );
  return { mintedBaseUnits: BigInt(rows[0]!.minted), burnedBaseUnits: BigInt(rows[0]!.burned) };
}

function event<S extends Parameters<typeof toWire>[0]>(schema: S, data: Parameters<typeof toWire<S>>[1], occurredAt: Date): NewEvent {
  return { schema, data: toWire(schema, data), occurredAt } as NewEvent;
}

function moneyOf(value: unknown): DomainMoney {
  const v = value as { amountBaseUnits?: unknown; asset?: unknown } | undefined;
  if (!v || typeof v.amountBaseUnits !== 'string' || !/^\d+$/.test(v.amountBaseUnits) || typeof v.asset !== 'string') throw new Error(`not money: ${JSON.stringify(value)}`);
  return { amountBaseUnits: BigInt(v.amountBaseUnits), asset: v.asset };
}

/** Credits are dollars backed by USDC (ADR 0104): they are paid and spent on chain as USDC, whose
 *  base units (6 decimals) they share. */
function chainAssetOf(asset: string): ChainAsset {
  if (asset === 'IO') return 'IO';
  if (asset === 'USDC' || asset === 'CREDIT') return 'USDC';
  throw new ChainError('INVALID_REQUEST', `no on-chain asset for ${asset}`);
}
