import { billingV1, inventoryV1, ledgerV1, verificationV1, type EventMetadata } from '@ionet/contracts';
import { ContractViolation, defineProjection, on, type ProjectionContext } from '@ionet/eventing';

/** What the chain executors act on, projected from the ledger's and billing's decisions and
 *  verification's hourly proof roots (ADR 0601): one row per decision, keyed by an id derived from it, so a redelivery or a rebuild
 *  writes the same row. Suppliers' payout wallets come from inventory. Executions are recorded
 *  apart (chain_executions, not rebuilt), so a rebuild never executes anything again. */
export const CHAIN_DECISIONS_PROJECTION = 'tokenomics-chain-decisions';

export type ChainDecisionKind = 'emission-mint' | 'payout' | 'buyback' | 'proof-root';

export const chainDecisionsProjection = defineProjection({
  name: CHAIN_DECISIONS_PROJECTION,
  version: 1,
  consumerGroup: 'tokenomics.chain-decisions',
  contexts: ['ledger', 'billing', 'inventory', 'verification'],
  tables: [
    {
      name: 'chain_decisions',
      columnsSql: `decision_id text not null, kind text not null, payload jsonb not null, source_event_id text not null, decided_at timestamptz not null`,
      primaryKey: ['decision_id'],
    },
    {
      name: 'chain_supplier_wallets',
      columnsSql: `supplier_id text not null, payout_wallet text not null, changed_at timestamptz not null`,
      primaryKey: ['supplier_id'],
    },
  ],
  handlers: [
    on(ledgerV1.EmissionMintRequestedSchema, (e, m, ctx) =>
      decide(ctx, m, `emission-mint:${e.epochNumber}`, 'emission-mint', { epochNumber: String(e.epochNumber), amount: moneyJson(must(e.amount, 'amount')), epochEnd: must(e.epochEnd, 'epoch_end').toISOString() }, must(e.requestedAt, 'requested_at')),
    ),
    on(ledgerV1.BuybackRequestedSchema, (e, m, ctx) =>
      decide(ctx, m, `buyback:${e.buybackRequestId}`, 'buyback', { buybackRequestId: e.buybackRequestId, buybackAmount: moneyJson(must(e.buybackAmount, 'buyback_amount')) }, must(e.requestedAt, 'requested_at')),
    ),
    on(billingV1.PayoutScheduledSchema, (e, m, ctx) =>
      decide(
        ctx,
        m,
        `payout:${e.payoutId}`,
        'payout',
        { payoutId: e.payoutId, supplierId: e.supplierId, amount: moneyJson(must(e.amount, 'amount')), periodStart: must(e.periodStart, 'period_start').toISOString(), periodEnd: must(e.periodEnd, 'period_end').toISOString() },
        must(e.dueAt, 'due_at'),
      ),
    ),
    on(verificationV1.EpochProofRootCommittedSchema, (e, m, ctx) =>
      decide(
        ctx,
        m,
        `proof-root:${e.epochNumber}`,
        'proof-root',
        { epochNumber: String(e.epochNumber), merkleRoot: Buffer.from(e.merkleRoot).toString('hex'), leafCount: String(e.leafCount), merkleAlgorithm: e.merkleAlgorithm },
        must(e.committedAt, 'committed_at'),
      ),
    ),
    on(inventoryV1.SupplierRegisteredSchema, (e, _m, ctx) => setWallet(ctx, e.supplierId, e.payoutWallet, must(e.registeredAt, 'registered_at'))),
    on(inventoryV1.SupplierPayoutWalletChangedSchema, (e, _m, ctx) => setWallet(ctx, e.supplierId, e.payoutWallet, must(e.changedAt, 'changed_at'))),
  ],
});

function moneyJson(value: { amountBaseUnits: bigint; asset: string }): { amountBaseUnits: string; asset: string } {
  return { amountBaseUnits: value.amountBaseUnits.toString(), asset: value.asset };
}

async function decide(ctx: ProjectionContext, metadata: EventMetadata, decisionId: string, kind: ChainDecisionKind, payload: object, decidedAt: Date): Promise<void> {
  await ctx.tx.query(
    `insert into ${ctx.table('chain_decisions')} (decision_id, kind, payload, source_event_id, decided_at) values ($1, $2, $3, $4, $5) on conflict (decision_id) do nothing`,
    [decisionId, kind, JSON.stringify(payload), metadata.eventId, decidedAt],
  );
}

/** The newest wallet wins, whatever order the events arrive in; an empty one is "not set". */
async function setWallet(ctx: ProjectionContext, supplierId: string, wallet: string, changedAt: Date): Promise<void> {
  if (!wallet) return;
  const table = ctx.table('chain_supplier_wallets');
  await ctx.tx.query(
    `insert into ${table} (supplier_id, payout_wallet, changed_at) values ($1, $2, $3)
     on conflict (supplier_id) do update set payout_wallet = excluded.payout_wallet, changed_at = excluded.changed_at where ${table}.changed_at < excluded.changed_at`,
    [supplierId, wallet, changedAt],
  );
}

/** A field the decision cannot do without: its absence is the producer's bug, dead-lettered. */
function must<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new ContractViolation(`${field} is missing`, 'TOKENOMICS.CHAIN_DECISION_INCOMPLETE');
  return value;
}
