import { randomBytes, createHash } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { EventRegistry } from '@ionet/contracts';
import { ConsumerRunner, type BatchContext, type ConsumedEvent, type ConsumerRunnerOptions } from '../consumer/consumer-runner';
import type { UpcasterRegistry } from '../consumer/upcaster-registry';
import { assertIdentifier, tableStateHash } from './state-hash';
import { RebuildInbox } from './rebuild-inbox';
import { EventingError, EVENTING_ERROR_CODES } from '../support/eventing-errors';
import { defaultLogger, type EventingLogger } from '../support/eventing-logger';
import type { SqlExecutor, TransactionRunner } from '../support/sql-executor';
import type { EventingMetrics } from '../support/eventing-metrics';

export interface ProjectionTable {
  /** Logical name: readers query a view of this name. */
  name: string;
  /** Column definitions, e.g. "device_id text not null, price bigint not null". */
  columnsSql: string;
  primaryKey: string[];
  /** Secondary indexes, each its columns in order (a read's filter, then its sort), built with every
   *  generation's table; an installed generation gets a new one at the next start. */
  indexes?: string[][];
  /** A rebuild creates this table without its primary key and indexes and builds them once it has
   *  caught up, before the swap (ADR 0331): bulk loads into a bare heap, then one sort per index.
   *  Only for tables a rebuild's batches append to without needing the key (no upsert, no
   *  `on conflict`): the rebuild's inbox already drops every duplicate event. */
  deferIndexesOnRebuild?: boolean;
}

/** What a projection's batches see of the rebuild they belong to (absent in live consumption). */
export interface ProjectionRebuild {
  /** The projection's memory for this rebuild, kept across its catch-up attempts: what batches fold
   *  (after their commit, `tx.afterCommit`) and `completeRebuild` writes before the swap. */
  readonly memory: Map<string, unknown>;
  /** Tables created without their primary key and indexes (`deferIndexesOnRebuild`) until the
   *  rebuild has caught up; after a first swap attempt they have them. */
  readonly deferredTables: ReadonlySet<string>;
}

export interface ProjectionContext extends BatchContext {
  generation: number;
  /** Physical table of this generation for a logical table name: write here. */
  table(name: string): string;
  /** Set while the batch belongs to a blue/green rebuild (ADR 0331). */
  rebuild?: ProjectionRebuild;
}

/** What `completeRebuild` gets: the generation's tables and the rebuild's memory. */
export interface ProjectionRebuildCompletion {
  generation: number;
  table(name: string): string;
  rebuild: ProjectionRebuild;
}

/** A read model rebuilt from its topics: apply must be idempotent per event and tolerate events
 *  of different aggregates in any order (it is called with duplicates dropped by event id). */
export interface ProjectionDefinition {
  name: string;
  /** The shape's version (tables and apply); a new one is rebuilt, not applied onto old rows. */
  version?: number;
  groupId: string;
  topics: string[];
  tables: ProjectionTable[];
  /** Whether its batches append events (process managers); false unless declared (ADR 0221). */
  appendsEvents?: boolean;
  apply(events: ConsumedEvent[], ctx: ProjectionContext): Promise<void>;
  /** Writes what a rebuild's batches folded in memory (`ctx.rebuild.memory`), in one transaction
   *  before each swap attempt, after the deferred indexes are built (ADR 0331). It must leave the
   *  memory empty of what it wrote: a later attempt writes only what its batches added. */
  completeRebuild?(tx: SqlExecutor, completion: ProjectionRebuildCompletion): Promise<void>;
}

export interface RebuildPartitionProgress {
  topic: string;
  partition: number;
  nextOffset: bigint;
  targetOffset: bigint;
  lag: bigint;
}

export interface RebuildProgress {
  projection: string;
  generation: number;
  eventsApplied: number;
  eventsPerSecond: number;
  partitions: RebuildPartitionProgress[];
}

export interface RebuildResult {
  projection: string;
  generation: number;
  eventsApplied: number;
  durationMs: number;
  /** Both hashes, when the rebuilt and live projections stood at the same offsets at the swap. */
  liveStateHash?: string;
  rebuiltStateHash?: string;
  hashVerified: boolean;
}

export interface ProjectionManagerOptions {
  kafka: Kafka;
  transactions: TransactionRunner;
  deadLetterTopic: string;
  registry?: EventRegistry;
  upcasters?: UpcasterRegistry;
  logger?: EventingLogger;
  /** Extra consumer settings for the live and rebuild consumers (fetchAhead: the live one only). */
  consumer?: Partial<Pick<ConsumerRunnerOptions, 'backoff' | 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxBytesPerPartition' | 'maxBytes' | 'partitionsConsumedConcurrently' | 'fetchAhead'>>;
  /** Metrics of the live and rebuild consumers (no-op by default); rebuilds report under the
   *  group label `<groupId>.rebuild` (their Kafka group id changes per attempt). */
  metrics?: EventingMetrics;
}

export interface RebuildOptions {
  onProgress?: (progress: RebuildProgress) => void;
  progressLogIntervalMs?: number;
  /** The rebuild gives up (and the live projection stays) after this long. */
  timeoutMs?: number;
  /** Attempts to catch up with the live consumer before swapping. */
  swapAttemptsMax?: number;
  /** Event ids the rebuild dedupes in memory at most (default 2,000,000, about 200 MB) before it
   *  falls back to the table, as the live consumer does (ADR 0207). 0: always the table. */
  inboxIdsMax?: number;
  /** Compare the state hashes with the live generation when both stand at the same offsets (on by
   *  default). Off for a rebuild to a new version: its rows differ by design. */
  verifyAgainstLive?: boolean;
}

const CATCH_UP_POLL_MS = 100;

/** Runs a projection live and rebuilds it blue/green: generation N+1 is built from offset 0 into
 *  fresh tables while generation N keeps serving; when it has caught up, one transaction checks
 *  the state hashes and points the views at it (ADR 0204). Offsets and the processed-event inbox
 *  are kept per generation (scope `projection:<name>:g<N>`), so the swap moves nothing. */
export class ProjectionManager {
  private readonly logger: EventingLogger;

  constructor(private readonly options: ProjectionManagerOptions) {
    this.logger = options.logger ?? defaultLogger('ProjectionManager');
  }

  static physicalTable(name: string, generation: number): string {
    return assertIdentifier(`${name}__g${generation}`);
  }

  static scope(projection: string, generation: number): string {
    return `projection:${projection}:g${generation}`;
  }

  async install(definition: ProjectionDefinition): Promise<number> {
    return this.options.transactions.transaction(async (tx) => {
      // A fresh projection is built by this version's code; one installed before versions existed
      // counts as version 1.
      await tx.query(`insert into projections (name, generation, version) values ($1, 1, $2) on conflict do nothing`, [definition.name, definition.version ?? 1]);
      await tx.query(`update projections set version = 1 where name = $1 and version is null`, [definition.name]);
      const generation = await this.generationOf(tx, definition.name, false);
      for (const table of definition.tables) {
        await this.createTable(tx, table, generation);
        await tx.query(`create or replace view ${assertIdentifier(table.name)} as select * from ${ProjectionManager.physicalTable(table.name, generation)}`);
      }
      return generation;
    });
  }

  /** The version whose code built the live generation. */
  async installedVersion(definition: ProjectionDefinition): Promise<number> {
    const { rows } = await this.options.transactions.transaction((tx) => tx.query<{ version: number }>(`select version from projections where name = $1`, [definition.name]));
    if (!rows[0]) throw new Error(`projection ${definition.name} is not installed`);
    return rows[0].version;
  }

  async currentGeneration(definition: ProjectionDefinition): Promise<number> {
    return this.options.transactions.transaction((tx) => this.generationOf(tx, definition.name, false));
  }

  /** The live consumer: writes to the current generation, whichever it is at each batch. */
  liveRunner(definition: ProjectionDefinition, extra: Partial<ConsumerRunnerOptions> = {}): ConsumerRunner {
    return new ConsumerRunner({
      ...this.consumerBase(definition),
      groupId: definition.groupId,
      // FOR SHARE: live batches run side by side; the swap's FOR UPDATE waits for them, and they
      // wait for it.
      resolveScope: async (tx) => ProjectionManager.scope(definition.name, await this.generationOf(tx, definition.name, true)),
      handleBatch: (events, ctx) => {
        const generation = Number(/:g(\d+)$/.exec(ctx.scope)![1]);
        return definition.apply(events, { ...ctx, generation, table: (name) => ProjectionManager.physicalTable(name, generation) });
      },
      ...extra,
    });
  }

  /** sha256 over every table of a generation (the live one by default). */
  async stateHash(definition: ProjectionDefinition, generation?: number): Promise<string> {
    return this.options.transactions.transaction(async (tx) => this.hashGeneration(tx, definition, generation ?? (await this.generationOf(tx, definition.name, false))));
  }

  async rebuild(definition: ProjectionDefinition, options: RebuildOptions = {}): Promise<RebuildResult> {
    const startedAt = Date.now();
    const deadline = startedAt + (options.timeoutMs ?? 30 * 60_000);
    const generation = (await this.currentGeneration(definition)) + 1;
    const scope = ProjectionManager.scope(definition.name, generation);
    const deferred = new Set(definition.tables.filter((t) => t.deferIndexesOnRebuild).map((t) => t.name));
    const rebuildState = { memory: new Map<string, unknown>(), deferredTables: deferred };
    await this.options.transactions.transaction(async (tx) => {
      // Leftovers of an abandoned rebuild of this generation start over.
      for (const table of definition.tables) {
        await tx.query(`drop table if exists ${ProjectionManager.physicalTable(table.name, generation)}`);
        await this.createTable(tx, table, generation, deferred.has(table.name));
      }
      await tx.query(`delete from consumer_offsets where group_id = $1`, [scope]);
      await tx.query(`delete from consumer_processed_events where group_id = $1`, [scope]);
    });
    const targets = await this.highWatermarks(definition.topics);
    const nextOffsets = new Map<string, bigint>();
    let eventsApplied = 0;
    let lastLogAt = Date.now();
    const report = () => {
      const partitions = [...targets].map(([key, target]) => {
        const [topic, partition] = splitKey(key);
        const nextOffset = nextOffsets.get(key) ?? 0n;
        return { topic, partition, nextOffset, targetOffset: target, lag: target > nextOffset ? target - nextOffset : 0n };
      });
      const elapsedS = Math.max((Date.now() - startedAt) / 1000, 0.001);
      const progress: RebuildProgress = { projection: definition.name, generation, eventsApplied, eventsPerSecond: Math.round(eventsApplied / elapsedS), partitions };
      options.onProgress?.(progress);
      if (Date.now() - lastLogAt >= (options.progressLogIntervalMs ?? 5_000)) {
        lastLogAt = Date.now();
        const lag = partitions.reduce((sum, p) => sum + p.lag, 0n);
        this.logger.log(`rebuild ${definition.name} g${generation}: ${eventsApplied} events applied (${progress.eventsPerSecond}/s), lag ${lag}`);
      }
    };
    // One inbox for every attempt of this rebuild: it holds what the generation applied so far.
    const inbox = new RebuildInbox({ transactions: this.options.transactions, scope, idsMax: options.inboxIdsMax, logger: this.logger });
    // A fresh Kafka group per attempt: offsets from an abandoned attempt must not skip anything.
    const groupId = `${definition.groupId}.rebuild.g${generation}.${randomBytes(4).toString('hex')}`;
    const makeRunner = () =>
      new ConsumerRunner({
        ...this.consumerBase(definition),
        groupId,
        metricsGroup: `${definition.groupId}.rebuild`,
        fromBeginning: true,
        resolveScope: async () => scope,
        fetchAhead: false,
        inbox,
        tracing: 'batch',
        handleBatch: (events, ctx) => definition.apply(events, { ...ctx, generation, table: (name) => ProjectionManager.physicalTable(name, generation), rebuild: rebuildState }),
        onProgress: (p) => {
          eventsApplied += p.appliedCount;
          nextOffsets.set(partitionKey(p.topic, p.partition), p.nextOffset);
          report();
        },
      });

    const swapAttemptsMax = options.swapAttemptsMax ?? 5;
    for (let attempt = 1; attempt <= swapAttemptsMax; attempt++) {
      const runner = makeRunner();
      await runner.start();
      try {
        await this.waitUntilCaughtUp(definition, generation, targets, deadline);
      } finally {
        await runner.stop();
      }
      // The live consumer of the new generation dedupes by the table: it must hold every id first.
      await inbox.flush();
      await this.completeRebuild(definition, generation, rebuildState);
      const swapped = await this.trySwap(definition, generation, options.verifyAgainstLive !== false);
      if (swapped) {
        await this.dropGeneration(definition, generation - 1);
        await this.deleteKafkaGroup(groupId);
        report();
        return { projection: definition.name, generation, eventsApplied, durationMs: Date.now() - startedAt, ...swapped };
      }
      this.logger.log(`rebuild ${definition.name} g${generation}: live moved ahead during the swap, catching up (attempt ${attempt}/${swapAttemptsMax})`);
    }
    throw new EventingError(EVENTING_ERROR_CODES.projectionNotCaughtUp, `rebuild of ${definition.name} could not catch up with the live projection in ${swapAttemptsMax} attempts`);
  }

  /** Builds the deferred primary keys and indexes (first attempt only; each table in a transaction
   *  of its own, side by side: the generation is not served yet), then lets the projection write
   *  what its batches folded (ADR 0331). */
  private async completeRebuild(definition: ProjectionDefinition, generation: number, rebuild: ProjectionRebuild & { deferredTables: Set<string> }): Promise<void> {
    const deferred = definition.tables.filter((t) => rebuild.deferredTables.has(t.name));
    await Promise.all(deferred.map((table) => this.options.transactions.transaction((tx) => this.createIndexes(tx, table, generation, true))));
    rebuild.deferredTables.clear();
    const complete = definition.completeRebuild;
    if (complete) await this.options.transactions.transaction((tx) => complete(tx, { generation, table: (name) => ProjectionManager.physicalTable(name, generation), rebuild }));
  }

  private async trySwap(definition: ProjectionDefinition, generation: number, verify: boolean): Promise<Pick<RebuildResult, 'liveStateHash' | 'rebuiltStateHash' | 'hashVerified'> | undefined> {
    return this.options.transactions.transaction(async (tx) => {
      const live = await tx.query<{ generation: number }>(`select generation from projections where name = $1 for update`, [definition.name]);
      const liveGeneration = live.rows[0].generation;
      const liveOffsets = await this.offsets(tx, ProjectionManager.scope(definition.name, liveGeneration));
      const rebuiltOffsets = await this.offsets(tx, ProjectionManager.scope(definition.name, generation));
      let equal = true;
      for (const [key, liveNext] of liveOffsets) {
        const rebuiltNext = rebuiltOffsets.get(key) ?? 0n;
        if (liveNext > rebuiltNext) return undefined;
        if (liveNext !== rebuiltNext) equal = false;
      }
      for (const [key, rebuiltNext] of rebuiltOffsets) if (!liveOffsets.has(key) && rebuiltNext > 0n) equal = false;
      let hashes: Pick<RebuildResult, 'liveStateHash' | 'rebuiltStateHash' | 'hashVerified'> = { hashVerified: false };
      if (equal && verify) {
        const liveStateHash = await this.hashGeneration(tx, definition, liveGeneration);
        const rebuiltStateHash = await this.hashGeneration(tx, definition, generation);
        if (liveStateHash !== rebuiltStateHash) {
          throw new EventingError(
            EVENTING_ERROR_CODES.projectionHashMismatch,
            `rebuilt ${definition.name} g${generation} (${rebuiltStateHash}) differs from live g${liveGeneration} (${liveStateHash}) at the same offsets; live kept`,
          );
        }
        hashes = { liveStateHash, rebuiltStateHash, hashVerified: true };
      }
      for (const table of definition.tables) {
        await tx.query(`create or replace view ${assertIdentifier(table.name)} as select * from ${ProjectionManager.physicalTable(table.name, generation)}`);
      }
      await tx.query(`update projections set generation = $2, swapped_at = now(), version = coalesce($3, version) where name = $1`, [definition.name, generation, definition.version ?? null]);
      return hashes;
    });
  }

  private async waitUntilCaughtUp(definition: ProjectionDefinition, generation: number, targets: Map<string, bigint>, deadline: number): Promise<void> {
    // Polls until the deadline (RebuildOptions.timeoutMs).
    for (;;) {
      const caughtUp = await this.options.transactions.transaction(async (tx) => {
        const liveGeneration = await this.generationOf(tx, definition.name, false);
        const live = await this.offsets(tx, ProjectionManager.scope(definition.name, liveGeneration));
        const rebuilt = await this.offsets(tx, ProjectionManager.scope(definition.name, generation));
        const keys = new Set([...targets.keys(), ...live.keys()]);
        return [...keys].every((key) => (rebuilt.get(key) ?? 0n) >= max(targets.get(key) ?? 0n, live.get(key) ?? 0n));
      });
      if (caughtUp) return;
      if (Date.now() > deadline) throw new EventingError(EVENTING_ERROR_CODES.projectionNotCaughtUp, `rebuild of ${definition.name} g${generation} timed out`);
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
    }
  }

  private async dropGeneration(definition: ProjectionDefinition, generation: number): Promise<void> {
    await this.options.transactions.transaction(async (tx) => {
      for (const table of definition.tables) await tx.query(`drop table if exists ${ProjectionManager.physicalTable(table.name, generation)}`);
      const scope = ProjectionManager.scope(definition.name, generation);
      await tx.query(`delete from consumer_offsets where group_id = $1`, [scope]);
      await tx.query(`delete from consumer_processed_events where group_id = $1`, [scope]);
    });
  }

  private async deleteKafkaGroup(groupId: string): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([groupId]);
    } catch (err) {
      this.logger.warn(`could not delete consumer group ${groupId}: ${(err as Error).message}`);
    } finally {
      await admin.disconnect();
    }
  }

  private async highWatermarks(topics: string[]): Promise<Map<string, bigint>> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const result = new Map<string, bigint>();
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(topic)) result.set(partitionKey(topic, p.partition), BigInt(p.high));
      }
      return result;
    } finally {
      await admin.disconnect();
    }
  }

  private async offsets(tx: SqlExecutor, scope: string): Promise<Map<string, bigint>> {
    const { rows } = await tx.query<{ topic: string; partition: number; next_offset: string | null }>(`select topic, partition, next_offset from consumer_offsets where group_id = $1`, [scope]);
    return new Map(rows.filter((r) => r.next_offset !== null).map((r) => [partitionKey(r.topic, r.partition), BigInt(r.next_offset!)]));
  }

  private async hashGeneration(tx: SqlExecutor, definition: ProjectionDefinition, generation: number): Promise<string> {
    const combined = createHash('sha256');
    for (const table of [...definition.tables].sort((a, b) => a.name.localeCompare(b.name))) {
      const { hash } = await tableStateHash(tx, ProjectionManager.physicalTable(table.name, generation), table.primaryKey);
      combined.update(`${table.name}:${hash}\n`);
    }
    return combined.digest('hex');
  }

  private async generationOf(tx: SqlExecutor, name: string, share: boolean): Promise<number> {
    const { rows } = await tx.query<{ generation: number }>(`select generation from projections where name = $1${share ? ' for share' : ''}`, [name]);
    if (!rows[0]) throw new Error(`projection ${name} is not installed`);
    return rows[0].generation;
  }

  private async createTable(tx: SqlExecutor, table: ProjectionTable, generation: number, bare = false): Promise<void> {
    table.primaryKey.forEach(assertIdentifier);
    const physical = ProjectionManager.physicalTable(table.name, generation);
    if (bare) {
      await tx.query(`create table if not exists ${physical} (${table.columnsSql})`);
      return;
    }
    await tx.query(`create table if not exists ${physical} (${table.columnsSql}, primary key (${table.primaryKey.join(', ')}))`);
    await this.createIndexes(tx, table, generation, false);
  }

  /** The table's secondary indexes, and its primary key when it was created bare (a rebuild's). */
  private async createIndexes(tx: SqlExecutor, table: ProjectionTable, generation: number, withPrimaryKey: boolean): Promise<void> {
    const physical = ProjectionManager.physicalTable(table.name, generation);
    if (withPrimaryKey) {
      // PostgreSQL names it as it does in `create table (..., primary key (...))`.
      await tx.query(`alter table ${physical} add primary key (${table.primaryKey.join(', ')})`);
    }
    for (const columns of table.indexes ?? []) {
      columns.forEach(assertIdentifier);
      const named = `${physical}__${columns.join('__')}`;
      const name = named.length <= 63 ? named : `${physical}__i${createHash('sha256').update(columns.join(',')).digest('hex').slice(0, 12)}`;
      await tx.query(`create index if not exists ${assertIdentifier(name)} on ${physical} (${columns.join(', ')})`);
    }
  }

  private consumerBase(definition: ProjectionDefinition): Omit<ConsumerRunnerOptions, 'groupId' | 'handleBatch'> {
    return {
      kafka: this.options.kafka,
      topics: definition.topics,
      transactions: this.options.transactions,
      deadLetterTopic: this.options.deadLetterTopic,
      registry: this.options.registry,
      upcasters: this.options.upcasters,
      metrics: this.options.metrics,
      // A projection only derives state from events: appending in it would append again at every
      // rebuild. Declared, so the relay of the same database does not wait for its batches (ADR 0221);
      // a process manager that appends idempotently declares appendsEvents (the ledger's).
      appendsEvents: definition.appendsEvents ?? false,
      ...this.options.consumer,
    };
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\n${partition}`;
}

function splitKey(key: string): [string, number] {
  const [topic, partition] = key.split('\n');
  return [topic, Number(partition)];
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
