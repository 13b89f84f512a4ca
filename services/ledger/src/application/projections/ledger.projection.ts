import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DescMessage } from '@bufbuild/protobuf';
import { EventRegistry, ledgerV1, tokenomicsV1, billingV1, toWire, type EventMetadata } from '@ionet/contracts';
import { ContractViolation, defineProjection, derivedId, onBatch, type EventingTransaction, type EventStore, type ProjectionContext, type ProjectionRebuild, type SqlExecutor } from '@ionet/eventing';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { LedgerPostingError } from '../../domain/postings/ledger-posting.errors';
import { FORTHCOMING_EVENT_TYPES, isPostingEventType, POSTING_RULES, postingFor, type Posting } from '../../domain/postings/ledger-postings';
import { onEpochClosed, onEscrowLocked, onFeeRetained, onUsageCharged, type LedgerDecision, type StreamDecision } from '../../domain/process-managers/ledger-decisions';

export const LEDGER_PROJECTION = 'ledger';
export const LEDGER_TABLES = { entries: 'ledger_entries', accountEntries: 'ledger_account_entries', balances: 'ledger_balances' } as const;

/** An entry's id: derived from the event that caused it, so a replayed event cannot post twice. */
export function entryIdOf(sourceEventId: string): string {
  return derivedId('ledger-entry', sourceEventId);
}

/** A decision's stream id and event id derive from its key (ADR 0330). */
export function decisionStreamIdOf(streamKey: readonly string[]): string {
  return derivedId('ledger-decision', ...streamKey);
}

interface EntryRow {
  entryId: string;
  at: Date;
  sourceEventId: string;
  sourceEventType: string;
  posting: Posting;
}

interface LedgerBatch {
  entries: EntryRow[];
  decisions: Array<{ decision: StreamDecision; metadata: EventMetadata }>;
}

/** A domain refusal of an event is its producer's broken contract: dead-lettered, never retried. */
function asContract<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof LedgerPostingError) throw new ContractViolation(err.message, err.code);
    throw err;
  }
}

const DECISION_SCHEMAS: { [T in LedgerDecision['type']]: DescMessage } = {
  LeaseFunded: ledgerV1.LeaseFundedSchema,
  BuybackRequested: ledgerV1.BuybackRequestedSchema,
  EmissionMintRequested: ledgerV1.EmissionMintRequestedSchema,
};

const DECISION_TIMES: { [T in LedgerDecision['type']]: (d: Extract<LedgerDecision, { type: T }>) => Date } = {
  LeaseFunded: (d) => d.fundedAt,
  BuybackRequested: (d) => d.requestedAt,
  EmissionMintRequested: (d) => d.requestedAt,
};

type DecisionRule = (event: never, inputs: { eventId: string; idOf: (...parts: string[]) => string }) => StreamDecision[];
const DECISION_RULES: Partial<Record<string, DecisionRule>> = {
  [billingV1.EscrowLockedSchema.typeName]: onEscrowLocked as DecisionRule,
  [billingV1.UsageChargedSchema.typeName]: onUsageCharged as DecisionRule,
  [tokenomicsV1.EpochClosedSchema.typeName]: onEpochClosed as DecisionRule,
  'ionet.billing.v1.FeeRetained': onFeeRetained as DecisionRule,
};

export interface LedgerProjectionOptions {
  /** The ledger service's own event store: process-manager decisions are appended through it (and
   *  its outbox) in the transaction that books their cause. Without one (a test of the entries
   *  alone, a bench of the bare projection) nothing is decided. */
  store?: EventStore;
  registry?: EventRegistry;
}

/**
 * The double-entry ledger as a projection of every money and token event (ADR 0330): one journal
 * entry per event (id derived from the event id), the balances it changes, and the decisions of the
 * process managers, all written per batch in a few bulk statements and rebuilt blue/green.
 */
export function ledgerProjection(options: LedgerProjectionOptions) {
  const registry = options.registry ?? EventRegistry.catalogue();
  const types = new Set<string>([...Object.keys(POSTING_RULES), ...Object.keys(DECISION_RULES)]);
  const schemas: DescMessage[] = [];
  for (const type of types) {
    const info = FORTHCOMING_EVENT_TYPES.has(type) ? registry.get(type) : registry.require(type);
    if (info) schemas.push(info.schema);
  }

  return defineProjection({
    name: LEDGER_PROJECTION,
    version: 1,
    consumerGroup: 'ledger.journal',
    contexts: ['billing', 'tokenomics'],
    // Its process managers append their decisions in the batch's transaction (ids derived from the
    // cause and looked up first, so a rebuild appends nothing again).
    appendsEvents: true,
    tables: [
      {
        name: LEDGER_TABLES.entries,
        columnsSql: `at timestamptz not null, entry_id uuid not null, source_event_id uuid not null, source_event_type text not null, memo text not null, legs jsonb not null`,
        primaryKey: ['at', 'entry_id'],
        // A rebuild copies into a bare heap and sorts the key once at the end (ADR 0331).
        deferIndexesOnRebuild: true,
      },
      {
        // One row per account an entry touches: the index behind GET /v1/ledger/entries?account.
        name: LEDGER_TABLES.accountEntries,
        columnsSql: `account text not null, at timestamptz not null, entry_id uuid not null`,
        primaryKey: ['account', 'at', 'entry_id'],
        deferIndexesOnRebuild: true,
      },
      {
        name: LEDGER_TABLES.balances,
        columnsSql: `account text not null, asset text not null, debits_posted_base_units numeric(40, 0) not null, credits_posted_base_units numeric(40, 0) not null`,
        primaryKey: ['account', 'asset'],
      },
    ],
    handlers: [],
    // The whole batch at once: its entries in three bulk statements, its decisions after them.
    batchHandlers: [
      onBatch(schemas, async (events, ctx) => {
        const batch: LedgerBatch = { entries: [], decisions: [] };
        for (const { event, metadata } of events) {
          const type = metadata.eventType;
          if (isPostingEventType(type)) {
            const posting = asContract(() => postingFor(type, event as never));
            if (posting) batch.entries.push({ entryId: entryIdOf(metadata.eventId), at: metadata.occurredAt, sourceEventId: metadata.eventId, sourceEventType: type, posting });
          }
          // Without an event store nothing is decided (a test of the entries, the bench's bare projection).
          if (options.store) collectDecisions(type, event, metadata, batch);
        }
        const copying = ctx.rebuild && copyClientOf(ctx.tx);
        if (copying && ctx.rebuild) await copyEntries(batch.entries, ctx, copying, ctx.rebuild);
        else await writeEntries(batch.entries, ctx);
        if (options.store) await appendDecisions(batch.decisions, ctx, options.store);
      }),
    ],
    completeRebuild: (tx, { table, rebuild }) => writeFoldedBalances(tx, table(LEDGER_TABLES.balances), rebuild),
  });
}

/** Balance deltas by `account\nasset`. */
type BalanceDeltas = Map<string, { account: string; asset: string; debits: bigint; credits: bigint }>;

const FOLDED_BALANCES = 'ledger.balances';

/** The rebuild's COPY needs the pg client the batch runs on (PgTransactionRunner's); an executor
 *  without one (TypeORM's) keeps the live path, also correct in a rebuild. */
function copyClientOf(tx: EventingTransaction): ClientBase | undefined {
  const candidate = tx as EventingTransaction & { processID?: unknown; connection?: unknown };
  return typeof candidate.afterCommit === 'function' && typeof candidate.processID === 'number' && typeof candidate.connection === 'object' ? (tx as unknown as ClientBase) : undefined;
}

/**
 * The rebuild's write path (ADR 0331). Every event reaching here is new to the generation: the
 * rebuild's inbox drops duplicates by event id before the batch, and entry ids derive from event
 * ids. So the entries and the account index are streamed with COPY into tables that have no key yet
 * (built once before the swap), and the balances are folded in memory over the whole rebuild (added
 * to the rebuild's memory when the batch commits, so a rolled-back batch adds nothing) and written
 * by `completeRebuild`.
 */
async function copyEntries(entries: EntryRow[], ctx: ProjectionContext, client: ClientBase, rebuild: ProjectionRebuild): Promise<void> {
  if (entries.length === 0) return;
  let entryText = '';
  let accountText = '';
  const deltas: BalanceDeltas = new Map();
  for (const entry of entries) {
    const at = entry.at.toISOString();
    const legs = entry.posting.legs;
    entryText += `${at}\t${entry.entryId}\t${entry.sourceEventId}\t${copyField(entry.sourceEventType)}\t${copyField(entry.posting.memo)}\t${copyField(legsJson(legs))}\n`;
    // One index row per account of the entry, however many legs it has there.
    const seen = legs.length > 8 ? new Set<string>() : undefined;
    for (let i = 0; i < legs.length; i++) {
      const leg = legs[i]!;
      if (seen ? !seen.has(leg.account) && seen.add(leg.account) : !accountBefore(legs, i)) {
        accountText += `${copyField(leg.account)}\t${at}\t${entry.entryId}\n`;
      }
      addDelta(deltas, leg);
    }
  }
  await copyIn(client, `copy ${ctx.table(LEDGER_TABLES.entries)} (at, entry_id, source_event_id, source_event_type, memo, legs) from stdin`, entryText);
  await copyIn(client, `copy ${ctx.table(LEDGER_TABLES.accountEntries)} (account, at, entry_id) from stdin`, accountText);
  ctx.tx.afterCommit!(() => {
    const folded = (rebuild.memory.get(FOLDED_BALANCES) as BalanceDeltas | undefined) ?? new Map();
    for (const [key, d] of deltas) {
      const into = folded.get(key);
      if (into) {
        into.debits += d.debits;
        into.credits += d.credits;
      } else folded.set(key, d);
    }
    rebuild.memory.set(FOLDED_BALANCES, folded);
  });
}

/** Writes the balances a rebuild folded (added to any row already there: a catch-up attempt's) and
 *  forgets them. */
async function writeFoldedBalances(tx: SqlExecutor, balancesTable: string, rebuild: ProjectionRebuild): Promise<void> {
  const folded = rebuild.memory.get(FOLDED_BALANCES) as BalanceDeltas | undefined;
  if (!folded || folded.size === 0) return;
  await upsertBalances(tx, balancesTable, folded);
  rebuild.memory.delete(FOLDED_BALANCES);
}

/** Whether a leg before the i-th names the same account. */
function accountBefore(legs: Posting['legs'], i: number): boolean {
  for (let j = 0; j < i; j++) if (legs[j]!.account === legs[i]!.account) return true;
  return false;
}

function addDelta(deltas: BalanceDeltas, leg: Posting['legs'][number]): void {
  const key = `${leg.account}\n${leg.asset}`;
  let d = deltas.get(key);
  if (!d) {
    d = { account: leg.account, asset: leg.asset, debits: 0n, credits: 0n };
    deltas.set(key, d);
  }
  if (leg.side === 'debit') d.debits += leg.amountBaseUnits;
  else d.credits += leg.amountBaseUnits;
}

/** The legs as the live path's JSON.stringify writes them (jsonb keeps no key order or spacing), one
 *  string built per entry instead of an object per leg. */
export function legsJson(legs: Posting['legs']): string {
  let json = '[';
  for (let i = 0; i < legs.length; i++) {
    const l = legs[i]!;
    json += `${i === 0 ? '' : ','}{"account":${JSON.stringify(l.account)},"asset":${JSON.stringify(l.asset)},"side":"${l.side}","amountBaseUnits":"${l.amountBaseUnits}"}`;
  }
  return `${json}]`;
}

const COPY_SPECIALS = /[\\\t\n\r]/;

/** A field of COPY's text format: backslash, tab, newline and carriage return escaped. */
export function copyField(value: string): string {
  if (!COPY_SPECIALS.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

async function copyIn(client: ClientBase, sql: string, text: string): Promise<void> {
  if (text === '') return;
  await pipeline(Readable.from([Buffer.from(text)]), client.query(copyFrom(sql)));
}

function collectDecisions(type: string, event: unknown, metadata: EventMetadata, batch: LedgerBatch): void {
  const rule = DECISION_RULES[type];
  if (!rule) return;
  for (const decision of rule(event as never, { eventId: metadata.eventId, idOf: derivedId })) batch.decisions.push({ decision, metadata });
}

/** Inserts the batch's entries (a replayed one conflicts and is skipped), then the account index and
 *  the balance deltas of those actually inserted, in account order (no deadlock between batches). */
async function writeEntries(entries: EntryRow[], ctx: ProjectionContext): Promise<void> {
  if (entries.length === 0) return;
  // One JSON document for the whole batch: PostgreSQL parses it faster than the driver escapes a
  // jsonb[] parameter element by element.
  const document = JSON.stringify(
    entries.map((e) => ({
      at: e.at.toISOString(),
      id: e.entryId,
      source: e.sourceEventId,
      type: e.sourceEventType,
      memo: e.posting.memo,
      legs: e.posting.legs.map((l) => ({ account: l.account, asset: l.asset, side: l.side, amountBaseUnits: l.amountBaseUnits.toString() })),
    })),
  );
  const { rows } = await ctx.tx.query<{ entry_id: string }>(
    `insert into ${ctx.table(LEDGER_TABLES.entries)} (at, entry_id, source_event_id, source_event_type, memo, legs)
     select (x->>'at')::timestamptz, (x->>'id')::uuid, (x->>'source')::uuid, x->>'type', x->>'memo', x->'legs' from jsonb_array_elements($1::jsonb) x
     on conflict do nothing returning entry_id`,
    [document],
  );
  if (rows.length === 0) return;
  const inserted = new Set(rows.map((r) => r.entry_id));
  const index = new Map<string, { account: string; at: string; entryId: string }>();
  const deltas: BalanceDeltas = new Map();
  for (const entry of entries) {
    if (!inserted.has(entry.entryId)) continue;
    inserted.delete(entry.entryId);
    const at = entry.at.toISOString();
    for (const leg of entry.posting.legs) {
      index.set(`${leg.account}\n${entry.entryId}`, { account: leg.account, at, entryId: entry.entryId });
      addDelta(deltas, leg);
    }
  }
  const accountRows = [...index.values()];
  await ctx.tx.query(
    `insert into ${ctx.table(LEDGER_TABLES.accountEntries)} (account, at, entry_id)
     select * from unnest($1::text[], $2::timestamptz[], $3::uuid[]) on conflict do nothing`,
    [accountRows.map((r) => r.account), accountRows.map((r) => r.at), accountRows.map((r) => r.entryId)],
  );
  await upsertBalances(ctx.tx, ctx.table(LEDGER_TABLES.balances), deltas);
}

/** Adds the deltas to the balances, in account order (no deadlock between concurrent batches). */
async function upsertBalances(tx: SqlExecutor, balancesTable: string, deltas: BalanceDeltas): Promise<void> {
  const balanceRows = [...deltas.values()].sort((a, b) => (a.account === b.account ? (a.asset < b.asset ? -1 : 1) : a.account < b.account ? -1 : 1));
  await tx.query(
    `insert into ${balancesTable} as b (account, asset, debits_posted_base_units, credits_posted_base_units)
     select * from unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[])
     on conflict (account, asset) do update
       set debits_posted_base_units = b.debits_posted_base_units + excluded.debits_posted_base_units,
           credits_posted_base_units = b.credits_posted_base_units + excluded.credits_posted_base_units`,
    [balanceRows.map((r) => r.account), balanceRows.map((r) => r.asset), balanceRows.map((r) => r.debits.toString()), balanceRows.map((r) => r.credits.toString())],
  );
}

/** Appends each decision not yet made: one stream per decision, so an existing stream is a decision
 *  already made (by the live run, an earlier delivery or a rebuild) and nothing is appended again. */
async function appendDecisions(decisions: LedgerBatch['decisions'], ctx: ProjectionContext, store: EventStore): Promise<void> {
  if (decisions.length === 0) return;
  const byStream = new Map<string, LedgerBatch['decisions'][number]>();
  for (const d of decisions) {
    const streamId = decisionStreamIdOf(d.decision.streamKey);
    if (!byStream.has(streamId)) byStream.set(streamId, d);
  }
  const { rows } = await ctx.tx.query<{ stream_id: string }>(`select distinct stream_id from events where stream_id = any($1::text[])`, [[...byStream.keys()]]);
  for (const existing of rows) byStream.delete(existing.stream_id);
  for (const [streamId, { decision, metadata }] of byStream) {
    const d = decision.decision;
    const schema = DECISION_SCHEMAS[d.type];
    const { type: _type, ...fields } = d;
    await store.append(ctx.tx, {
      streamId,
      streamType: decision.streamType,
      expectedVersion: 'no_stream',
      correlationId: metadata.correlationId || metadata.eventId,
      causationId: metadata.eventId,
      events: [
        {
          schema,
          data: toWire(schema, fields as never),
          occurredAt: (DECISION_TIMES[d.type] as (x: LedgerDecision) => Date)(d),
          eventId: derivedId('event', metadata.eventId, streamId, '0'),
        },
      ],
    });
  }
}
