import { create, toBinary, fromBinary, type DescMessage, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import { context, propagation } from '@opentelemetry/api';
import { Client, type Pool, type QueryConfig } from 'pg';
import { assertEventContract, EventRegistry, newEventId, type EventMetadata, type EventTypeInfo } from '@ionet/contracts';
import { EventStoreConcurrencyError, EventingError, EVENTING_ERROR_CODES } from '../support/eventing-errors';
import type { EventingTransaction, SqlExecutor } from '../support/sql-executor';
import { defaultLogger, type EventingLogger } from '../support/eventing-logger';
import { eventingMetrics, NOOP_EVENTING_METRICS, type EventingMetrics } from '../support/eventing-metrics';
import { CommitNotifier, type CommitNotifierOptions } from './commit-notifier';
import { assertAppendsAllowed, NO_APPEND_APPLICATION_NAME } from '../support/no-append';

/** An event to append. `occurredAt` and ids come with the command (never the store's clock). */
export interface NewEvent<Desc extends DescMessage = DescMessage> {
  schema: Desc;
  data: MessageInitShape<Desc>;
  occurredAt: Date;
  /** Defaults to a new UUIDv7; pass the command's id-derived value to make retries idempotent. */
  eventId?: string;
}

export type ExpectedVersion = bigint | 'no_stream' | 'any';

export interface AppendRequest {
  streamId: string;
  streamType: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent[];
  correlationId?: string;
  causationId?: string;
}

export interface AppendResult {
  nextExpectedVersion: bigint;
  positions: bigint[];
  eventIds: string[];
}

export interface StoredEvent {
  metadata: EventMetadata;
  payload: Uint8Array;
  transactionId: bigint;
  position: bigint;
}

export interface EventStoreOptions {
  pool: Pool;
  /** The service that appends, written into every envelope. */
  producer: string;
  registry?: EventRegistry;
  /** Check the catalogue's field rules before writing (on by default). */
  validateContracts?: boolean;
  /** Wake outbox relays after a commit that appended events (on by default): relays of this
   *  process directly, others by a coalesced NOTIFY sent in its own transaction, never in the
   *  appending one (ADR 0207). false: relays only poll. */
  commitNotify?: CommitNotifierOptions | false;
  logger?: EventingLogger;
  /** Counts appended events by stream type, once committed (no-op by default). */
  metrics?: EventingMetrics;
}

/** A global-order read cursor: (transaction id, position), compared as a pair. */
export interface GlobalCursor {
  transactionId: bigint;
  position: bigint;
}

export const GLOBAL_CURSOR_START: GlobalCursor = { transactionId: 0n, position: 0n };

/** Prepared-statement name of the append; a new text needs a new name. */
const APPEND_STATEMENT_NAME = 'ionet_events_append_v1';

const APPEND_MANY_STATEMENT_NAME = 'ionet_events_append_many_v1';

/** Appends are bounded so one statement stays small. */
const EVENTS_PER_APPEND_MAX = 1_000;

export const EVENT_COLUMNS = `position, transaction_id::text as transaction_id, event_id, stream_id, stream_type, version, event_type,
  schema_version, payload, occurred_at, correlation_id, causation_id, producer, traceparent, tracestate`;

interface EventRow {
  position: string;
  transaction_id: string;
  event_id: string;
  stream_id: string;
  stream_type: string;
  version: string;
  event_type: string;
  schema_version: number;
  payload: Buffer;
  occurred_at: Date;
  correlation_id: string;
  causation_id: string;
  producer: string;
  traceparent: string;
  tracestate: string;
}

/** The service's event store, in its own PostgreSQL database (the `events` table). */
export class EventStore {
  private readonly registry: EventRegistry;
  private readonly notifier: CommitNotifier;
  private readonly metrics: EventingMetrics;

  constructor(private readonly options: EventStoreOptions) {
    this.registry = options.registry ?? EventRegistry.catalogue();
    if (options.pool.listenerCount('error') === 0) options.pool.on('error', () => undefined);
    const logger = options.logger ?? defaultLogger('EventStore');
    this.metrics = eventingMetrics(options.metrics, (err) => logger.warn(`metrics: ${err instanceof Error ? err.message : String(err)}`));
    this.notifier = new CommitNotifier(options.commitNotify === false ? undefined : options.pool, logger, options.commitNotify || {});
  }

  /** Call after committing a transaction in which you appended (`append(tx, ...)`), unless the
   *  transaction came from PgTransactionRunner or TypeOrmTransactionRunner (they call it through
   *  `tx.afterCommit`): wakes the relays now instead of at their next poll. Cheap and coalesced;
   *  never throws. */
  notifyCommitted(): void {
    this.notifier.committed();
  }

  /** In-process listener of commits (the relay of this process: `store.onCommitted(() =>
   *  relay.wake())`, which EventingModule wires); returns its removal. */
  onCommitted(listener: () => void): () => void {
    return this.notifier.subscribe(listener);
  }

  /** Appends to one stream with optimistic concurrency. Pass the caller's transaction so state,
   *  events and (through the events table) the outbox commit together; without one the append
   *  commits on its own. The W3C trace context active now is saved with each event. */
  async append(tx: SqlExecutor | undefined, request: AppendRequest): Promise<AppendResult> {
    // Without a caller's transaction the append is one statement, atomic on its own: no BEGIN and
    // COMMIT round trips.
    assertAppendsAllowed(tx);
    const executor: SqlExecutor = tx ?? this.options.pool;
    const count = request.events.length;
    if (count === 0) throw new RangeError('append needs at least one event');
    if (count > EVENTS_PER_APPEND_MAX) throw new RangeError(`append takes at most ${EVENTS_PER_APPEND_MAX} events, got ${count}`);

    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    const eventIds: string[] = [];
    const types: string[] = [];
    const schemaVersions: number[] = [];
    const payloads: Buffer[] = [];
    const occurredAts: string[] = [];
    for (const event of request.events) {
      const encoded = this.encode(event);
      eventIds.push(encoded.eventId);
      types.push(encoded.type);
      schemaVersions.push(encoded.schemaVersion);
      payloads.push(encoded.payload);
      occurredAts.push(encoded.occurredAt);
    }

    const expected = request.expectedVersion === 'any' ? null : request.expectedVersion === 'no_stream' ? 0n : request.expectedVersion;
    // One statement: read the stream head, check the expected version and that this transaction's
    // id is not older than the head's (so (transaction_id, position) order never reorders a
    // stream: see ADR 0200), then insert. The unique (stream_id, version) constraint catches a
    // concurrent append that commits after our read.
    let rows: Array<{ position: string; version: string }>;
    try {
      ({ rows } = await this.query<{ position: string; version: string }>(
        executor,
        APPEND_STATEMENT_NAME,
        `with last as (select version, transaction_id from events where stream_id = $1 order by version desc limit 1),
              head as (select coalesce((select version from last), 0) as version,
                              coalesce((select transaction_id from last), '0'::xid8) as transaction_id)
         insert into events (event_id, stream_id, stream_type, version, event_type, schema_version, payload, occurred_at,
                             correlation_id, causation_id, producer, traceparent, tracestate)
         select e.event_id, $1, $2, head.version + e.ord, e.event_type, e.schema_version, e.payload, e.occurred_at,
                $8, $9, $10, $11, $12
           from head,
                unnest($3::uuid[], $4::text[], $5::int[], $6::bytea[], $7::timestamptz[])
                  with ordinality as e(event_id, event_type, schema_version, payload, occurred_at, ord)
          where ($13::bigint is null or head.version = $13::bigint)
            and head.transaction_id <= pg_current_xact_id()
          order by e.ord
         returning position, version`,
        [
          request.streamId,
          request.streamType,
          eventIds,
          types,
          schemaVersions,
          payloads,
          occurredAts,
          request.correlationId ?? '',
          request.causationId ?? '',
          this.options.producer,
          carrier.traceparent ?? '',
          carrier.tracestate ?? '',
          expected === null ? null : expected.toString(),
        ],
      ));
    } catch (err) {
      if ((err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'events_stream_version_key') {
        throw new EventStoreConcurrencyError(request.streamId, expected ?? 'any', undefined, 'a concurrent append won');
      }
      throw err;
    }
    if (rows.length !== count) {
      const head = await executor.query<{ version: string | null }>('select max(version)::text as version from events where stream_id = $1', [request.streamId]);
      const actual = BigInt(head.rows[0]?.version ?? '0');
      const versionMoved = expected !== null && actual !== expected;
      const reason = versionMoved ? 'version conflict' : 'a newer transaction appended to the stream first; retry';
      throw new EventStoreConcurrencyError(request.streamId, expected ?? 'any', actual, reason, !versionMoved);
    }
    // Without a caller's transaction the statement has committed; with one, its runner (if it has
    // afterCommit) or the caller (notifyCommitted) wakes the relays once it commits.
    if (!tx) this.notifier.committed();
    else (tx as EventingTransaction).afterCommit?.(this.committedCallback);
    // Counted once committed where that is known (no transaction, or one with afterCommit); a
    // caller's transaction without afterCommit is counted at the append.
    if (this.metrics !== NOOP_EVENTING_METRICS) {
      const afterCommit = tx && (tx as EventingTransaction).afterCommit;
      if (afterCommit) afterCommit.call(tx, () => this.metrics.appended(request.streamType, count));
      else this.metrics.appended(request.streamType, count);
    }
    rows.sort((a, b) => (BigInt(a.version) < BigInt(b.version) ? -1 : 1));
    return {
      nextExpectedVersion: BigInt(rows[rows.length - 1].version),
      positions: rows.map((r) => BigInt(r.position)),
      eventIds,
    };
  }

  private readonly committedCallback = (): void => this.notifier.committed();

  /**
   * Appends to many streams in one statement, each stream once with its own expected version: the
   * group commit of many commands decided in one transaction. All or nothing: a conflict on any
   * stream (version, a newer transaction at its head, a concurrent append) fails the whole append
   * with EventStoreConcurrencyError, and the caller's transaction retries with a new one. Results
   * in the order of `requests`.
   */
  async appendMany(tx: SqlExecutor | undefined, requests: AppendRequest[]): Promise<AppendResult[]> {
    assertAppendsAllowed(tx);
    if (requests.length === 1) return [await this.append(tx, requests[0]!)];
    const executor: SqlExecutor = tx ?? this.options.pool;
    const total = requests.reduce((n, r) => n + r.events.length, 0);
    if (requests.length === 0 || requests.some((r) => r.events.length === 0)) throw new RangeError('appendMany needs at least one event per stream');
    if (total > EVENTS_PER_APPEND_MAX) throw new RangeError(`append takes at most ${EVENTS_PER_APPEND_MAX} events, got ${total}`);
    if (new Set(requests.map((r) => r.streamId)).size !== requests.length) throw new RangeError('appendMany takes each stream once');

    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    const columns = { streamIds: [] as string[], streamTypes: [] as string[], eventIds: [] as string[], types: [] as string[], schemaVersions: [] as number[] };
    const payloads: Buffer[] = [];
    const occurredAts: string[] = [];
    const correlationIds: string[] = [];
    const causationIds: string[] = [];
    const ords: number[] = [];
    const expecteds: Array<string | null> = [];
    const eventIdsOf: string[][] = [];
    for (const request of requests) {
      const expected = request.expectedVersion === 'any' ? null : request.expectedVersion === 'no_stream' ? 0n : request.expectedVersion;
      const ids: string[] = [];
      request.events.forEach((event, index) => {
        const encoded = this.encode(event);
        ids.push(encoded.eventId);
        columns.streamIds.push(request.streamId);
        columns.streamTypes.push(request.streamType);
        columns.eventIds.push(encoded.eventId);
        columns.types.push(encoded.type);
        columns.schemaVersions.push(encoded.schemaVersion);
        payloads.push(encoded.payload);
        occurredAts.push(encoded.occurredAt);
        correlationIds.push(request.correlationId ?? '');
        causationIds.push(request.causationId ?? '');
        ords.push(index + 1);
        expecteds.push(expected === null ? null : expected.toString());
      });
      eventIdsOf.push(ids);
    }
    let rows: Array<{ position: string; version: string; stream_id: string }>;
    try {
      ({ rows } = await this.query<{ position: string; version: string; stream_id: string }>(
        executor,
        APPEND_MANY_STATEMENT_NAME,
        `with input as (
           select * from unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::int[], $6::bytea[], $7::timestamptz[], $8::text[], $9::text[], $10::bigint[], $11::bigint[])
             with ordinality as i(stream_id, stream_type, event_id, event_type, schema_version, payload, occurred_at, correlation_id, causation_id, ord, expected, n))
         insert into events (event_id, stream_id, stream_type, version, event_type, schema_version, payload, occurred_at,
                             correlation_id, causation_id, producer, traceparent, tracestate)
         select i.event_id, i.stream_id, i.stream_type, coalesce(head.version, 0) + i.ord, i.event_type, i.schema_version, i.payload, i.occurred_at,
                i.correlation_id, i.causation_id, $12, $13, $14
           from input i
           left join lateral (select version, transaction_id from events e where e.stream_id = i.stream_id order by version desc limit 1) head on true
          where (i.expected is null or coalesce(head.version, 0) = i.expected)
            and coalesce(head.transaction_id, '0'::xid8) <= pg_current_xact_id()
          order by i.n
         returning position, version, stream_id`,
        [
          columns.streamIds,
          columns.streamTypes,
          columns.eventIds,
          columns.types,
          columns.schemaVersions,
          payloads,
          occurredAts,
          correlationIds,
          causationIds,
          ords,
          expecteds,
          this.options.producer,
          carrier.traceparent ?? '',
          carrier.tracestate ?? '',
        ],
      ));
    } catch (err) {
      if ((err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'events_stream_version_key') {
        throw new EventStoreConcurrencyError(requests.length === 1 ? requests[0]!.streamId : `one of ${requests.length} streams`, 'any', undefined, 'a concurrent append won');
      }
      throw err;
    }
    const byStream = new Map<string, Array<{ position: string; version: string }>>();
    for (const row of rows) {
      const list = byStream.get(row.stream_id) ?? [];
      list.push(row);
      byStream.set(row.stream_id, list);
    }
    const lost = requests.find((r) => (byStream.get(r.streamId)?.length ?? 0) !== r.events.length);
    if (lost) {
      const head = await executor.query<{ version: string | null }>('select max(version)::text as version from events where stream_id = $1', [lost.streamId]);
      const actual = BigInt(head.rows[0]?.version ?? '0');
      const expected = lost.expectedVersion === 'any' ? null : lost.expectedVersion === 'no_stream' ? 0n : lost.expectedVersion;
      const versionMoved = expected !== null && actual !== expected;
      throw new EventStoreConcurrencyError(lost.streamId, expected ?? 'any', actual, versionMoved ? 'version conflict' : 'a newer transaction appended to the stream first; retry', !versionMoved);
    }
    if (!tx) this.notifier.committed();
    else (tx as EventingTransaction).afterCommit?.(this.committedCallback);
    if (this.metrics !== NOOP_EVENTING_METRICS) {
      const count = (): void => {
        for (const r of requests) this.metrics.appended(r.streamType, r.events.length);
      };
      const afterCommit = tx && (tx as EventingTransaction).afterCommit;
      if (afterCommit) afterCommit.call(tx, count);
      else count();
    }
    return requests.map((r, i) => {
      const appended = byStream.get(r.streamId)!.sort((a, b) => (BigInt(a.version) < BigInt(b.version) ? -1 : 1));
      return { nextExpectedVersion: BigInt(appended[appended.length - 1]!.version), positions: appended.map((a) => BigInt(a.position)), eventIds: eventIdsOf[i]! };
    });
  }

  private encode(event: NewEvent): { eventId: string; type: string; schemaVersion: number; payload: Buffer; occurredAt: string } {
    const info = this.eventTypeInfo(event.schema);
    const message = create(event.schema, event.data) as Message;
    if (this.options.validateContracts !== false) assertEventContract(event.schema, message);
    return { eventId: event.eventId ?? newEventId(), type: info.type, schemaVersion: info.schemaVersion, payload: Buffer.from(toBinary(event.schema, message)), occurredAt: event.occurredAt.toISOString() };
  }

  /** The events of many streams in one read, each stream's in version order (a stream without
   *  events is absent). */
  async readStreams(streamIds: string[], tx?: SqlExecutor): Promise<Map<string, StoredEvent[]>> {
    const executor = tx ?? this.options.pool;
    const { rows } = await executor.query<EventRow>(`select ${EVENT_COLUMNS} from events where stream_id = any($1::text[]) order by stream_id, version`, [streamIds]);
    const streams = new Map<string, StoredEvent[]>();
    for (const row of rows) {
      const list = streams.get(row.stream_id) ?? [];
      list.push(toStoredEvent(row));
      streams.set(row.stream_id, list);
    }
    return streams;
  }

  async readStream(streamId: string, options: { fromVersion?: bigint; countMax?: number } = {}, tx?: SqlExecutor): Promise<StoredEvent[]> {
    const executor = tx ?? this.options.pool;
    const { rows } = await executor.query<EventRow>(
      `select ${EVENT_COLUMNS} from events where stream_id = $1 and version >= $2 order by version limit $3`,
      [streamId, (options.fromVersion ?? 1n).toString(), options.countMax ?? 10_000],
    );
    return rows.map(toStoredEvent);
  }

  /** Events in global order after `after`, only from transactions that can no longer append
   *  below them, so a late commit is never skipped. Without `tx`, transactions of other databases
   *  and consumer batches that never append do not hold the read back (ADR 0221); inside a caller's
   *  transaction the oldest running transaction of the cluster does. */
  async readAll(after: GlobalCursor = GLOBAL_CURSOR_START, countMax = 1_000, tx?: SqlExecutor): Promise<StoredEvent[]> {
    const values = [after.transactionId.toString(), after.position.toString(), countMax];
    const { rows } = tx ? await tx.query<EventRow>(readAllSql(), values) : await this.query<EventRow>(this.options.pool, 'ionet_events_read_all_v1', READ_ALL_DATABASE_SQL, values);
    return rows.map(toStoredEvent);
  }

  decode<T extends Message>(stored: StoredEvent): T {
    return fromBinary(this.registry.require(stored.metadata.eventType).schema, stored.payload) as T;
  }

  /** A pg pool or client runs the statement prepared (parsed and planned once per connection);
   *  any other executor (TypeORM) runs it as text. */
  private async query<R>(executor: SqlExecutor, name: string, text: string, values: unknown[]): Promise<{ rows: R[] }> {
    if (executor === this.options.pool || executor instanceof Client) {
      const config: QueryConfig = { name, text, values };
      return (executor as Pool).query(config) as unknown as Promise<{ rows: R[] }>;
    }
    return executor.query<R>(text, values);
  }

  private eventTypeInfo(schema: DescMessage): EventTypeInfo {
    const info = this.registry.get(schema.typeName);
    if (!info || info.schema.typeName !== schema.typeName) {
      throw new EventingError(EVENTING_ERROR_CODES.unknownEventType, `${schema.typeName} is not in the event registry`);
    }
    return info;
  }
}

/** Events after the cursor ($1, $2; at most $3) below the visibility horizon of this database, in
 *  one statement (ADR 0220, 0221). Transaction ids are cluster-wide, so pg_snapshot_xmin() is held
 *  back by a transaction open in any database of the cluster (another service, a test suite, a psql
 *  session left in a transaction), and by this database's consumer batches that never append. The
 *  horizon is the lowest transaction X in xip(S) (S: this statement's snapshot, the one the events
 *  are read with) that might still insert into this events table, or xmax(S) when there is none.
 *  X is left out only when pg_stat_activity, read after S, shows it running in a backend of
 *  another database, or in a backend whose transaction marked itself `ionet:no-append`
 *  (ConsumerRunner `appendsEvents: false`, set before its handler runs; EventStore.append refuses
 *  in it). Anything else in xip(S), including a transaction that ended since S and a prepared
 *  transaction (no backend), holds the horizon: the next read sees it. Safe: every transaction
 *  below the horizon either ended before S (its rows are visible in S, or it aborted) or can never
 *  insert here. PostgreSQL reads a backend's application_name before its backend_xid, and an X in
 *  xip(S) still running at the xid read ran since before S, so the name read is its own. That needs
 *  pg_stat_activity read after S: a statement of its own, outside a transaction block (a
 *  transaction keeps its first read of pg_stat_activity). Only the low 32 bits are compared
 *  (backend_xid is a 32-bit xid; the xids in xip(S) lie within 2^31 of each other). With no
 *  transaction running below xmax(S) the backends are not read; otherwise the function behind
 *  pg_stat_activity is called directly (without its joins). `databaseOid`: an SQL expression. */
export function readBelowDatabaseHorizonSql(databaseOid: string): string {
  return `
  with snap as (select pg_current_snapshot() as s),
       horizon as (
         select case when pg_snapshot_xmin(s) = pg_snapshot_xmax(s) then pg_snapshot_xmax(s)
                     else least(pg_snapshot_xmax(s), (
                            select min(x) from pg_snapshot_xip(s) as x
                             where not exists (
                                     select 1 from pg_stat_get_activity(null) as a
                                      where a.backend_xid is not null
                                        and a.backend_xid::text::bigint = x::text::bigint % 4294967296
                                        and (a.datid <> ${databaseOid} or starts_with(a.application_name, '${NO_APPEND_APPLICATION_NAME}')))))
                end as xid
           from snap)
  select ${EVENT_COLUMNS} from events
   where (transaction_id, position) > ($1::xid8, $2::bigint)
     and transaction_id < (select xid from horizon)
   order by transaction_id, position
   limit $3`;
}

/** readAll without a caller's transaction: its own statement, so the horizon per database is safe. */
const READ_ALL_DATABASE_SQL = readBelowDatabaseHorizonSql('(select oid from pg_database where datname = current_database())');

export function readAllSql(): string {
  return `select ${EVENT_COLUMNS} from events
           where (transaction_id, position) > ($1::xid8, $2::bigint)
             and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
           order by transaction_id, position
           limit $3`;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    metadata: {
      eventId: row.event_id,
      eventType: row.event_type,
      schemaVersion: row.schema_version,
      aggregateType: row.stream_type,
      aggregateId: row.stream_id,
      aggregateVersion: BigInt(row.version),
      occurredAt: row.occurred_at,
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      producer: row.producer,
      traceparent: row.traceparent,
      tracestate: row.tracestate,
      globalPosition: BigInt(row.position),
    },
    payload: row.payload,
    transactionId: BigInt(row.transaction_id),
    position: BigInt(row.position),
  };
}

export type { EventRow };
