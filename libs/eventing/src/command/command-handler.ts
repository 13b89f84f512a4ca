import { fromBinary, type Message } from '@bufbuild/protobuf';
import { CONTRACT_ERROR_CODES, ContractError, EventRegistry, newEventId } from '@ionet/contracts';
import { EventStore, type AppendRequest, type ExpectedVersion, type StoredEvent } from '../store/event-store';
import type { UpcasterRegistry } from '../consumer/upcaster-registry';
import { EventStoreConcurrencyError } from '../support/eventing-errors';
import type { EventingTransaction } from '../support/sql-executor';
import { backoffDelayMs, type BackoffOptions } from '../support/backoff';
import type { AggregateDefinition } from './decider';
import { derivedId } from './derived-id';

/** Why a command runs: recorded on every event it appends. */
export interface CommandCause {
  /** The flow the command belongs to (the request's, or the triggering event's correlation id). */
  correlationId: string;
  /** The triggering event's id, or the request's id: never the correlation id of a later step. */
  causationId: string;
  /** Derive event ids from (causationId, stream, index): set when the cause is an event, or a
   *  request with an idempotency key. A cause already applied to the stream is then done: the
   *  handler returns its events and appends nothing (a replay, a redelivery, a retried POST). */
  deterministic: boolean;
}

/** The cause of a command that an event triggered (process managers, consumers). */
export function causedByEvent(event: { eventId: string; correlationId: string }): CommandCause {
  return { correlationId: event.correlationId || event.eventId, causationId: event.eventId, deterministic: true };
}

/** The cause of a command from an HTTP request. With an idempotency key the request's events get
 *  ids derived from the tenant and the key, so a retry after a crash appends nothing twice. */
export function causedByRequest(requestId: string, idempotency?: { tenantId: string; key: string }): CommandCause {
  if (!idempotency) return { correlationId: requestId, causationId: requestId, deterministic: false };
  return { correlationId: requestId, causationId: derivedId('idempotency', idempotency.tenantId, idempotency.key), deterministic: true };
}

/** The id of an aggregate a request creates: derived from the tenant and idempotency key when there
 *  is one (a retry addresses the same stream, ADR 0210), else a fresh UUIDv7. */
export function newStreamIdFor(streamType: string, idempotency?: { tenantId: string; key: string }): string {
  return idempotency ? derivedId('stream', streamType, idempotency.tenantId, idempotency.key) : newEventId();
}

export interface HandleOptions {
  /** Run inside this transaction (a consumer's batch, a process manager's step): the append
   *  commits with it, and a conflict retries from a savepoint. */
  tx?: EventingTransaction;
}

export interface LoadedStream<State, Event> {
  state: State;
  /** 0 when the stream has no events yet. */
  version: bigint;
  events: Array<{ event: Event; eventId: string; version: bigint }>;
}

export interface CommandResult<State, Event> {
  streamId: string;
  /** The stream's version after the command (unchanged when it appended nothing). */
  version: bigint;
  /** What the command appended or, for a cause already applied, what that cause appended. */
  events: Event[];
  state: State;
  /** The cause had already been applied to this stream; nothing was appended now. */
  duplicate: boolean;
}

export interface CommandHandlerOptions {
  store: EventStore;
  registry?: EventRegistry;
  upcasters?: UpcasterRegistry;
  /** Attempts on a version conflict (reload, decide again, append) before it is surfaced. */
  conflictAttemptsMax?: number;
  conflictBackoff?: BackoffOptions;
}

/** Enough for dozens of concurrent writers to one stream: each round one of them wins. */
export const CONFLICT_ATTEMPTS_MAX = 32;
const CONFLICT_BACKOFF: BackoffOptions = { initialDelayMs: 2, delayMsMax: 100, jitterRatio: 1 };
const SAVEPOINT = 'ionet_command';

/**
 * Load (with upcasting) -> decide -> append at the loaded version, retrying a version conflict by
 * reloading and deciding again (bounded). Emmett's CommandHandler is the model. One instance per
 * registered aggregate; a service writes no handler code of its own (STYLE.md rule 12).
 */
export class CommandHandler<Command, State, Event> {
  private readonly registry: EventRegistry;
  private readonly attemptsMax: number;
  private readonly backoff: BackoffOptions;

  constructor(
    readonly aggregate: AggregateDefinition<Command, State, Event>,
    private readonly options: CommandHandlerOptions,
  ) {
    this.registry = options.registry ?? EventRegistry.catalogue();
    this.attemptsMax = options.conflictAttemptsMax ?? CONFLICT_ATTEMPTS_MAX;
    this.backoff = options.conflictBackoff ?? CONFLICT_BACKOFF;
  }

  /** Reads the stream and folds it; old event versions are upcast first. */
  async load(streamId: string, tx?: EventingTransaction): Promise<LoadedStream<State, Event>> {
    return this.fold(await this.options.store.readStream(streamId, {}, tx));
  }

  private fold(stored: StoredEvent[]): LoadedStream<State, Event> {
    const { decider } = this.aggregate;
    let state = decider.initialState;
    const events: LoadedStream<State, Event>['events'] = [];
    for (const s of stored) {
      const event = this.decode(s);
      state = decider.evolve(state, event);
      events.push({ event, eventId: s.metadata.eventId, version: s.metadata.aggregateVersion });
    }
    return { state, version: stored.length ? stored[stored.length - 1]!.metadata.aggregateVersion : 0n, events };
  }

  /** Reads and folds many streams in one query; a stream without events has the initial state. */
  async loadMany(streamIds: string[], tx?: EventingTransaction): Promise<Map<string, LoadedStream<State, Event>>> {
    const stored = await this.options.store.readStreams(streamIds, tx);
    return new Map(streamIds.map((id) => [id, this.fold(stored.get(id) ?? [])]));
  }

  /**
   * Group commit: decides one command per stream, all in the caller's transaction, and appends
   * every stream's events in one statement (EventStore.appendMany). A command the decider refuses
   * is answered alone (`{ error }`); the others go on. A conflict is not retried here: it fails the
   * append, which leaves the transaction aborted, and the caller retries with a new transaction.
   * Each stream once; `loaded` (from loadMany in the same transaction) saves the read.
   */
  async handleMany(
    items: Array<{ streamId: string; command: Command; cause: CommandCause }>,
    options: { tx: EventingTransaction; loaded?: Map<string, LoadedStream<State, Event>> },
  ): Promise<Array<CommandResult<State, Event> | { streamId: string; error: unknown }>> {
    const { decider, codec, streamType } = this.aggregate;
    const loaded = options.loaded ?? (await this.loadMany(items.map((i) => i.streamId), options.tx));
    const results: Array<CommandResult<State, Event> | { streamId: string; error: unknown }> = [];
    const appends: Array<{ index: number; decided: Event[]; state: State; request: AppendRequest }> = [];
    for (const [index, { streamId, command, cause }] of items.entries()) {
      const stream = loaded.get(streamId) ?? this.fold([]);
      const done = cause.deterministic ? this.alreadyApplied(streamId, cause, stream) : undefined;
      if (done) {
        results.push(done);
        continue;
      }
      let decided: Event[];
      try {
        decided = decider.decide(command, stream.state);
      } catch (error) {
        results.push({ streamId, error });
        continue;
      }
      results.push({ streamId, version: stream.version, events: decided, state: stream.state, duplicate: false });
      if (decided.length === 0) continue;
      const events = decided.map((event, i) => ({ ...codec.encode(event), ...(cause.deterministic ? { eventId: eventIdOf(cause, streamId, i) } : {}) }));
      const expectedVersion: ExpectedVersion = stream.version === 0n ? 'no_stream' : stream.version;
      appends.push({ index, decided, state: stream.state, request: { streamId, streamType, expectedVersion, events, correlationId: cause.correlationId, causationId: cause.causationId } });
    }
    if (appends.length === 0) return results;
    const appended = await this.options.store.appendMany(options.tx, appends.map((a) => a.request));
    appends.forEach((a, i) => {
      results[a.index] = { streamId: a.request.streamId, version: appended[i]!.nextExpectedVersion, events: a.decided, state: a.decided.reduce(decider.evolve, a.state), duplicate: false };
    });
    return results;
  }

  /** `command` may be a function of the loaded state (it is called again after a conflict). */
  async handle(streamId: string, command: Command | ((state: State) => Command | Promise<Command>), cause: CommandCause, options: HandleOptions = {}): Promise<CommandResult<State, Event>> {
    const { decider, codec, streamType } = this.aggregate;
    const tx = options.tx;
    let lastConflict: unknown;
    for (let attempt = 0; attempt < this.attemptsMax; attempt++) {
      const loaded = await this.load(streamId, tx);
      if (cause.deterministic) {
        const done = this.alreadyApplied(streamId, cause, loaded);
        if (done) return done;
      }
      const decided = decider.decide(typeof command === 'function' ? await (command as (state: State) => Command | Promise<Command>)(loaded.state) : command, loaded.state);
      if (decided.length === 0) return { streamId, version: loaded.version, events: [], state: loaded.state, duplicate: false };
      const expectedVersion: ExpectedVersion = loaded.version === 0n ? 'no_stream' : loaded.version;
      const events = decided.map((event, index) => ({ ...codec.encode(event), ...(cause.deterministic ? { eventId: eventIdOf(cause, streamId, index) } : {}) }));
      if (tx) await tx.query(`savepoint ${SAVEPOINT}`);
      try {
        const appended = await this.options.store.append(tx, { streamId, streamType, expectedVersion, events, correlationId: cause.correlationId, causationId: cause.causationId });
        if (tx) await tx.query(`release savepoint ${SAVEPOINT}`);
        if (!tx) crashAfterAppendInTests(streamType);
        return { streamId, version: appended.nextExpectedVersion, events: decided, state: decided.reduce(decider.evolve, loaded.state), duplicate: false };
      } catch (err) {
        if (tx) await tx.query(`rollback to savepoint ${SAVEPOINT}`);
        // A concurrent writer won, or (deterministic ids) a concurrent run of the same cause did:
        // the reload decides which.
        if (!(err instanceof EventStoreConcurrencyError) && !isDuplicateEventId(err)) throw err;
        // Inside a caller's transaction that is older than the stream's head no retry can succeed:
        // the caller retries with a new transaction (a consumer retries its batch).
        if (tx && err instanceof EventStoreConcurrencyError && err.transactionTooOld) throw err;
        lastConflict = err;
        await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, this.backoff)));
      }
    }
    throw lastConflict;
  }

  private alreadyApplied(streamId: string, cause: CommandCause, loaded: LoadedStream<State, Event>): CommandResult<State, Event> | undefined {
    const first = eventIdOf(cause, streamId, 0);
    const index = loaded.events.findIndex((e) => e.eventId === first);
    if (index < 0) return undefined;
    const mine = [];
    for (let i = index; i < loaded.events.length && loaded.events[i]!.eventId === eventIdOf(cause, streamId, i - index); i++) mine.push(loaded.events[i]!);
    return { streamId, version: mine[mine.length - 1]!.version, events: mine.map((e) => e.event), state: loaded.state, duplicate: true };
  }

  private decode(stored: StoredEvent): Event {
    let { eventType, schemaVersion } = stored.metadata;
    let payload = stored.payload;
    if (this.options.upcasters && this.options.upcasters.size > 0) ({ eventType, schemaVersion, payload } = this.options.upcasters.upcast({ eventType, schemaVersion, payload }));
    const type = this.registry.require(eventType);
    if (schemaVersion !== type.schemaVersion) {
      throw new ContractError(CONTRACT_ERROR_CODES.unsupportedSchemaVersion, `${eventType} schema version ${schemaVersion} has no upcaster to ${type.schemaVersion}`);
    }
    let message: Message;
    try {
      message = fromBinary(type.schema, payload);
    } catch (err) {
      throw new ContractError(CONTRACT_ERROR_CODES.undecodablePayload, `${eventType} in stream ${stored.metadata.aggregateId} is not decodable: ${(err as Error).message}`);
    }
    return this.aggregate.codec.decode(message, eventType);
  }
}

/** Test hook (NODE_ENV=test only): the process dies by SIGKILL right after an append of this
 *  stream type committed, before anyone answers: the crash the idempotency e2e test retries. */
function crashAfterAppendInTests(streamType: string): void {
  if (process.env.NODE_ENV === 'test' && process.env.IONET_TEST_KILL_AFTER_APPEND === streamType) process.kill(process.pid, 'SIGKILL');
}

function eventIdOf(cause: CommandCause, streamId: string, index: number): string {
  return derivedId('event', cause.causationId, streamId, String(index));
}

function isDuplicateEventId(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' && e.constraint === 'events_event_id_key';
}
