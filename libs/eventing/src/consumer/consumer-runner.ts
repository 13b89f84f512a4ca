import { SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type { Message } from '@bufbuild/protobuf';
import type { Batch, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { EventRegistry } from '@ionet/contracts';
import { decodeKafkaMessage, type DecodedEvent, type DecodeResult } from './message-decoder';
import type { UpcasterRegistry } from './upcaster-registry';
import { recordDeadLetters, type DeadLetterInput } from '../dead-letters/dead-letter-record';
import { DeadLetterPublisher } from '../dead-letters/dead-letter-publisher';
import { backoffDelayMs, DEFAULT_BACKOFF, sleepInSlices, type BackoffOptions } from '../support/backoff';
import { asPoisonFailure, errorMessage, EventingError, EVENTING_ERROR_CODES } from '../support/eventing-errors';
import { isInfrastructureError } from '../support/transient-errors';
import { defaultLogger, type EventingLogger } from '../support/eventing-logger';
import { startConsumerBatchSpan, startConsumerSpan } from '../support/tracing';
import { eventingMetrics, type EventingMetrics } from '../support/eventing-metrics';
import type { EventIdInbox, InboxClaim } from '../replay/rebuild-inbox';
import type { EventingTransaction, TransactionRunner } from '../support/sql-executor';
import { allowAppends, markNoAppendSql, noAppendMarker, refuseAppends } from '../support/no-append';

export interface ConsumedEvent<T extends Message = Message> extends DecodedEvent<T> {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  headers: IHeaders;
  /** Context whose active span is this message's consumer span (child of the producer's). */
  traceContext: Context;
}

export interface BatchContext {
  tx: EventingTransaction;
  /** The key the offsets are stored under (the group id unless resolveScope says otherwise). */
  scope: string;
  topic: string;
  partition: number;
  /** Keeps the group membership alive during a long batch; errors are swallowed (the offsets row
   *  lock fences a consumer that lost its partition meanwhile). */
  heartbeat(): Promise<void>;
}

export type BatchHandler = (events: ConsumedEvent[], ctx: BatchContext) => Promise<void>;

export interface ConsumerProgress {
  groupId: string;
  scope: string;
  topic: string;
  partition: number;
  nextOffset: bigint;
  highWatermark: bigint;
  lag: bigint;
  appliedCount: number;
  duplicateCount: number;
  deadLetteredCount: number;
}

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  transactions: TransactionRunner;
  handleBatch: BatchHandler;
  /** Where dead letters are published (`ionet.dlq.v1`, prefixed in tests). */
  deadLetterTopic: string;
  registry?: EventRegistry;
  upcasters?: UpcasterRegistry;
  /** A new group starts at the beginning of the topics (default) or at their end. */
  fromBeginning?: boolean;
  /** Drop a message whose event id this group already applied (a re-published duplicate). */
  dedupeByEventId?: boolean;
  /** Where the applied event ids are kept; the table (consumer_processed_events) unless a rebuild
   *  passes its in-memory inbox (ADR 0207). */
  inbox?: EventIdInbox;
  /** 'message' (default): one consumer span per message, child of its producer span, active in
   *  event.traceContext. 'batch': one span per batch for all its events (rebuilds: ADR 0207). */
  tracing?: 'message' | 'batch';
  /** Offsets key, read inside the batch's transaction (projections use one per generation). */
  resolveScope?: (tx: EventingTransaction) => Promise<string>;
  backoff?: BackoffOptions;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Bounds the batch size: kafkajs fetches at most this many bytes per partition. */
  maxBytesPerPartition?: number;
  /** Bounds a whole fetch (all partitions; kafkajs's default 10 MiB). */
  maxBytes?: number;
  partitionsConsumedConcurrently?: number;
  /** How long the broker holds an empty fetch; also how long stop() can wait for it. */
  fetchWaitMsMax?: number;
  onProgress?: (progress: ConsumerProgress) => void;
  /** Called when a batch failed with a fault and will be retried (the partition is paused). */
  onRetry?: (info: { topic: string; partition: number; attempt: number; delayMs: number; error: unknown }) => void;
  logger?: EventingLogger;
  /** Counts consumed events by outcome, times committed batches and reports the lag per partition
   *  (no-op by default). */
  metrics?: EventingMetrics;
  /** The `group` label of the metrics (default: groupId); a stable name for a group whose id
   *  changes (a rebuild's). */
  metricsGroup?: string;
  /** Whether the handlers may append events in the batch's transaction (default true). false (a
   *  projection, a read model): each batch's transaction is marked (application_name
   *  `ionet:no-append <group>`, for the transaction only) before the handler runs, so the outbox
   *  relay of the same database does not wait for it, and `EventStore.append` on `ctx.tx` throws
   *  EVENT_STORE.APPEND_REFUSED (ADR 0221). Otherwise every running batch holds back that relay
   *  until it commits (ADR 0200). */
  appendsEvents?: boolean;
  /** Let kafkajs fetch while batches are applied (default false). kafkajs otherwise fetches again
   *  only once every batch of its last fetch was applied, so an event arriving meanwhile waits for
   *  the slowest partition's transaction and then for a fetch (ADR 0221). With it, what a
   *  partition fetched while its batch was applied is applied next, as one batch (one transaction
   *  with its offset, as always); at most two fetches per partition wait in memory. */
  fetchAhead?: boolean;
}

/** A batch that failed with a fault and is being retried; its partition makes no progress. */
export interface RetryingBatch {
  groupId: string;
  topic: string;
  partition: number;
  firstOffset: string;
  /** When its first attempt failed (epoch ms). */
  sinceMs: number;
  attempts: number;
  lastError: string;
}

type BatchOutcome =
  | { kind: 'applied'; scope: string; nextOffset: bigint; appliedCount: number; duplicateCount: number; deadLetteredCount: number }
  | { kind: 'behind'; scope: string; nextOffset: bigint }
  | { kind: 'ahead'; scope: string; nextOffset: bigint };

class IsolationRequired extends Error {}

/** One round trip for the usual batch (ADR 0220, 0221): locks the partition's offset row (the fence
 *  of ADR 0202) and, only when the batch starts at the stored offset (or none is stored yet), claims
 *  the batch's event ids in the inbox and already writes the offset after the batch ($6), so the
 *  batch's transaction needs no offset write before COMMIT (`advanced`: the row was updated; the
 *  whole transaction rolls back if the handler fails). `claimed` is null when it did not claim (a
 *  batch behind, ahead or overlapping the stored offset takes the two-step path). The lock is taken
 *  before the claim and the update: their condition reads the locked row. */
function lockClaimAndAdvanceSql(marked: boolean): string {
  return `
  with cur as (select next_offset from consumer_offsets where group_id = $1 and topic = $2 and partition = $3 for update),
       fits as (select coalesce((select next_offset from cur), $4::bigint) = $4::bigint as ok),
       claim as (insert into consumer_processed_events (group_id, event_id)
                 select $1, unnest($5::uuid[]) where (select ok from fits)
                 on conflict do nothing returning event_id),
       advance as (update consumer_offsets set next_offset = $6::bigint, updated_at = now()
                    where group_id = $1 and topic = $2 and partition = $3 and (select ok from fits) returning 1)
  select (select next_offset from cur)::text as next_offset,
         case when (select ok from fits) then array(select event_id::text from claim) end as claimed,
         exists (select 1 from advance) as advanced${marked ? `,
         ${markNoAppendSql('$7')} as marked` : ''}`;
}
const LOCK_CLAIM_ADVANCE_SQL = lockClaimAndAdvanceSql(false);
const LOCK_CLAIM_ADVANCE_MARKED_SQL = lockClaimAndAdvanceSql(true);

/** kafkajs's heartbeat answers these when the member must rejoin the group (as its own runner
 *  checks them). */
const REJOIN_ERROR_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

function isRebalancing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && REJOIN_ERROR_TYPES.has(String((err as { type?: unknown }).type));
}

function partitionKeyOf(topic: string, partition: number): string {
  return `${topic}\n${partition}`;
}

interface Decoded {
  message: KafkaMessage;
  result: DecodeResult;
}

/** fetchAhead: one partition's fetched batches not taken yet, and the loop applying them. */
interface Lane {
  waiting: EachBatchPayload[];
  draining: Promise<void> | undefined;
  /** Resolved when the loop takes what waits (eachBatch's backpressure waits for it). */
  taken: Promise<void> | undefined;
  onTaken: () => void;
}

/** Takes the waiting batches whose offsets follow one another (a seek can leave an older fetch
 *  behind a newer one: that one waits for the next turn) and merges them into one batch. */
function takeContiguous(waiting: EachBatchPayload[]): EachBatchPayload {
  let count = 1;
  while (count < waiting.length && BigInt(waiting[count].batch.firstOffset()!) > BigInt(waiting[count - 1].batch.lastOffset())) count++;
  const taken = waiting.splice(0, count);
  if (taken.length === 1) return taken[0];
  const last = taken[taken.length - 1];
  const messages = taken.flatMap((p) => p.batch.messages);
  const batch = {
    topic: last.batch.topic,
    partition: last.batch.partition,
    highWatermark: last.batch.highWatermark,
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => taken[0].batch.firstOffset(),
    lastOffset: () => last.batch.lastOffset(),
  } as unknown as Batch;
  return { ...last, batch, isStale: () => taken.some((p) => p.isStale()) };
}

/** Consumes batches and applies each in one database transaction together with the partition's
 *  next offset, so a crash or a redelivery never applies a message twice (ADR 0202). Contract
 *  failures are dead-lettered in that same transaction; every other failure pauses the partition
 *  and retries with capped exponential backoff. */
export class ConsumerRunner {
  private consumer: Consumer | undefined;
  private readonly registry: EventRegistry;
  private readonly backoff: BackoffOptions;
  private readonly logger: EventingLogger;
  private readonly deadLetters: DeadLetterPublisher;
  private readonly metrics: EventingMetrics;
  private readonly metricsGroup: string;
  private readonly knownOffsetRows = new Set<string>();
  /** Latest offset per partition still to be copied to Kafka, and the copy under way. */
  private readonly kafkaOffsetsPending = new Map<string, { topic: string; partition: number; offset: string }>();
  private kafkaCommit: Promise<void> | undefined;
  private readonly retrying = new Map<string, RetryingBatch>();
  /** fetchAhead: per partition, the fetched batches waiting and the loop applying them. */
  private readonly lanes = new Map<string, Lane>();
  appliedCount = 0;
  retryCount = 0;

  constructor(private readonly options: ConsumerRunnerOptions) {
    this.registry = options.registry ?? EventRegistry.catalogue();
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.logger = options.logger ?? defaultLogger(`Consumer ${options.groupId}`);
    this.metrics = eventingMetrics(options.metrics, (err) => this.logger.warn(`metrics: ${errorMessage(err)}`));
    this.metricsGroup = options.metricsGroup ?? options.groupId;
    this.deadLetters = new DeadLetterPublisher(options.kafka, options.transactions, options.deadLetterTopic);
  }

  get groupId(): string {
    return this.options.groupId;
  }

  /** Batches failing right now (a fault, retried with backoff): readiness and ops read this. */
  retryingBatches(): RetryingBatch[] {
    return [...this.retrying.values()];
  }

  async start(): Promise<void> {
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1_048_576,
      ...(this.options.maxBytes ? { maxBytes: this.options.maxBytes } : {}),
      maxWaitTimeInMs: this.options.fetchWaitMsMax ?? 500,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    await this.publishDeadLetters();
  }

  /** Leaves the group cleanly (waits for the batch in flight) so the partitions move at once. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await this.kafkaCommit;
    await consumer?.disconnect();
    // Batches applied behind kafkajs's back (fetchAhead) end their transaction first.
    await Promise.allSettled([...this.lanes.values()].map((lane) => lane.draining));
    await this.deadLetters.close();
  }

  /** Re-delivers a dead letter's original bytes to this consumer's handler (after a fix), in one
   *  transaction with marking it re-driven. Throws DEAD_LETTER.REDRIVE_FAILED if it fails again. */
  async redrive(deadLetterId: string): Promise<'applied' | 'already-applied' | 'already-redriven'> {
    const failure: { error?: string } = {};
    const outcome = await this.options.transactions.transaction(async (tx) => {
      const { rows } = await tx.query<{ source_topic: string; source_partition: number; source_offset: string; original_key: Buffer | null; original_value: Buffer | null; original_headers: Record<string, string[]>; redriven_at: Date | null }>(
        `select source_topic, source_partition, source_offset, original_key, original_value, original_headers, redriven_at
           from dead_letters where id = $1 and consumer_group = $2 for update`,
        [deadLetterId, this.options.groupId],
      );
      const row = rows[0];
      if (!row) throw new EventingError(EVENTING_ERROR_CODES.deadLetterNotFound, `dead letter ${deadLetterId} of ${this.options.groupId} not found`);
      if (row.redriven_at) return 'already-redriven' as const;
      const headers: IHeaders = Object.fromEntries(Object.entries(row.original_headers).map(([k, v]) => [k, v.map((b) => Buffer.from(b, 'base64'))]));
      const message = { key: row.original_key, value: row.original_value, headers, offset: row.source_offset } as KafkaMessage;
      const result = decodeKafkaMessage(message, this.registry, this.options.upcasters);
      let applied: 'applied' | 'already-applied' = 'applied';
      if (!result.ok) {
        failure.error = `${result.code}: ${result.message}`;
      } else {
        const scope = await this.scopeOf(tx);
        const fresh = await this.claimEventIds(tx, scope, [result.decoded.metadata.eventId]);
        if (fresh.size === 0) {
          applied = 'already-applied';
        } else {
          const { span, context } = startConsumerSpan(headers, row.source_topic, row.source_partition, row.source_offset, this.options.groupId);
          const event: ConsumedEvent = { ...result.decoded, topic: row.source_topic, partition: row.source_partition, offset: BigInt(row.source_offset), key: row.original_key, headers, traceContext: context };
          await tx.query('savepoint ionet_redrive');
          try {
            await this.options.handleBatch([event], this.batchContext(tx, scope, row.source_topic, row.source_partition, undefined));
            await tx.query('release savepoint ionet_redrive');
            span.end();
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
            span.end();
            const contract = asPoisonFailure(err);
            if (!contract) throw err;
            await tx.query('rollback to savepoint ionet_redrive');
            await tx.query('delete from consumer_processed_events where group_id = $1 and event_id = $2', [scope, result.decoded.metadata.eventId]);
            failure.error = `${contract.code}: ${contract.message}`;
          }
        }
      }
      if (failure.error) {
        await tx.query(`update dead_letters set redrive_attempts = redrive_attempts + 1, last_redrive_error = $2 where id = $1`, [deadLetterId, failure.error]);
        return 'failed' as const;
      }
      await tx.query(`update dead_letters set redrive_attempts = redrive_attempts + 1, redriven_at = now(), last_redrive_error = null where id = $1`, [deadLetterId]);
      return applied;
    });
    if (outcome === 'failed') throw new EventingError(EVENTING_ERROR_CODES.deadLetterRedriveFailed, `dead letter ${deadLetterId} failed again: ${failure.error}`);
    return outcome;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    if (!this.options.fetchAhead) return this.applyWithRetries(payload);
    const { batch } = payload;
    if (batch.isEmpty()) return;
    // Fetch ahead (ADR 0221): kafkajs is released at once and fetches again while the batch is
    // applied; what arrives meanwhile is applied next, merged into one batch (one transaction).
    // The offset is resolved now for kafkajs's fetch position only: the database's offset stays
    // the truth (ADR 0202). A batch left unapplied (the consumer stops, the group rebalances) is
    // fetched again: from Kafka's copy of the offsets, which only follows commits, or through the
    // "behind" path of the partition's next batch.
    const key = partitionKeyOf(batch.topic, batch.partition);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { waiting: [], draining: undefined, taken: undefined, onTaken: () => undefined };
      this.lanes.set(key, lane);
    }
    lane.waiting.push(payload);
    payload.resolveOffset(batch.lastOffset());
    lane.draining ??= this.drainLane(key, lane);
    // Backpressure: with two fetches waiting behind the batch being applied, kafkajs waits until
    // they are taken.
    while (lane.waiting.length >= 2 && lane.draining) {
      lane.taken ??= new Promise<void>((resolve) => (lane!.onTaken = resolve));
      await lane.taken;
    }
  }

  /** Applies a partition's waiting fetches, each time all of them as one batch, until none wait. */
  private async drainLane(key: string, lane: Lane): Promise<void> {
    try {
      while (lane.waiting.length > 0) {
        const taken = takeContiguous(lane.waiting);
        lane.taken = undefined;
        lane.onTaken();
        await this.applyWithRetries(taken);
      }
    } finally {
      lane.draining = undefined;
      lane.onTaken();
      if (lane.waiting.length > 0) lane.draining = this.drainLane(key, lane);
      else if (this.lanes.get(key) === lane) this.lanes.delete(key);
    }
  }

  private async applyWithRetries(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const startedAt = performance.now();
    let isolate = false;
    let decoded: Decoded[] | undefined;
    // Retries until it succeeds, the consumer stops or the partition is taken away: a fault is
    // never turned into a dead letter. Each wait is capped by backoff.delayMsMax.
    for (let attempt = 0; payload.isRunning() && !payload.isStale(); ) {
      const spans: Span[] = [];
      const claims: InboxClaim[] = [];
      try {
        decoded ??= batch.messages.map((message) => ({ message, result: decodeKafkaMessage(message, this.registry, this.options.upcasters) }));
        let outcome: BatchOutcome;
        try {
          outcome = await this.options.transactions.transaction((tx) => this.applyBatch(tx, batch, decoded!, isolate, spans, claims, payload));
        } catch (err) {
          for (const claim of claims) claim.settle(false);
          throw err;
        }
        for (const claim of claims) claim.settle(true);
        for (const span of spans) span.end();
        await this.afterCommit(outcome, batch, payload);
        this.metrics.batchDuration(this.metricsGroup, (performance.now() - startedAt) / 1000);
        this.clearRetrying(batch.topic, batch.partition);
        return;
      } catch (err) {
        for (const span of spans) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
          span.end();
        }
        if (err instanceof IsolationRequired) {
          isolate = true;
          continue;
        }
        if (!payload.isRunning() || payload.isStale()) return;
        const delayMs = backoffDelayMs(attempt, this.backoff);
        this.retryCount++;
        const kind = isInfrastructureError(err) ? 'infrastructure fault' : 'handler error';
        this.logger.warn(`${batch.topic}[${batch.partition}] @${batch.firstOffset()}: ${kind}: ${errorMessage(err)}; paused, retry ${attempt + 1} in ${delayMs} ms`);
        this.options.onRetry?.({ topic: batch.topic, partition: batch.partition, attempt, delayMs, error: err });
        attempt++;
        this.markRetrying(batch, attempt, err);
        let rebalancing = false;
        await sleepInSlices(delayMs, 1_000, async () => {
          await payload.heartbeat().catch((heartbeatErr: unknown) => {
            rebalancing ||= isRebalancing(heartbeatErr);
          });
          return payload.isRunning() && !payload.isStale() && !rebalancing;
        });
        // The group is rebalancing: kafkajs rejoins only once this batch returns, and until then
        // every member waits (up to the rebalance timeout). Leave it unresolved: it is fetched again
        // by whoever owns the partition next, from the offset in the database (ADR 0202).
        if (rebalancing) {
          this.logger.warn(`${batch.topic}[${batch.partition}]: group rebalancing; batch left for a retry after rejoining`);
          return;
        }
      }
    }
  }

  private async applyBatch(tx: EventingTransaction, batch: Batch, decoded: Decoded[], isolate: boolean, spans: Span[], claims: InboxClaim[], payload: EachBatchPayload): Promise<BatchOutcome> {
    if (this.options.appendsEvents !== false) return this.applyBatchIn(tx, batch, decoded, isolate, spans, claims, payload);
    refuseAppends(tx);
    try {
      return await this.applyBatchIn(tx, batch, decoded, isolate, spans, claims, payload);
    } finally {
      allowAppends(tx);
    }
  }

  private async applyBatchIn(tx: EventingTransaction, batch: Batch, decoded: Decoded[], isolate: boolean, spans: Span[], claims: InboxClaim[], payload: EachBatchPayload): Promise<BatchOutcome> {
    const { topic, partition } = batch;
    const marker = this.options.appendsEvents === false ? noAppendMarker(this.options.groupId) : undefined;
    const scope = await this.scopeOf(tx);
    const rowKey = `${scope}\n${topic}\n${partition}`;
    const first = BigInt(batch.firstOffset()!);
    const last = BigInt(batch.lastOffset());
    let stored: bigint | undefined;
    // Event ids claimed together with the row lock (the usual batch: ADR 0220), if they were.
    let claimedWithLock: Set<string> | undefined;
    // The offset after the batch is already written (with the lock and claim).
    let advanced = false;
    const dedupeInTable = this.options.dedupeByEventId !== false && !this.options.inbox;
    const candidateIds = dedupeInTable && this.knownOffsetRows.has(rowKey) ? decoded.flatMap((d) => (d.result.ok ? [d.result.decoded.metadata.eventId] : [])) : [];
    if (candidateIds.length > 0) {
      const values = [scope, topic, partition, first.toString(), candidateIds, (last + 1n).toString()];
      const { rows } = await tx.query<{ next_offset: string | null; claimed: string[] | null; advanced: boolean }>(
        marker ? LOCK_CLAIM_ADVANCE_MARKED_SQL : LOCK_CLAIM_ADVANCE_SQL,
        marker ? [...values, marker] : values,
      );
      stored = rows[0].next_offset == null ? undefined : BigInt(rows[0].next_offset);
      if (rows[0].claimed) claimedWithLock = new Set(rows[0].claimed);
      advanced = rows[0].advanced;
    } else {
      // The row must exist before it can be locked; remembered only once this transaction commits.
      if (!this.knownOffsetRows.has(rowKey)) {
        await tx.query(`insert into consumer_offsets (group_id, topic, partition, next_offset) values ($1, $2, $3, null) on conflict do nothing`, [scope, topic, partition]);
      }
      // The row lock also fences a consumer that lost this partition in a rebalance but is still
      // finishing a batch: the new owner waits, then sees the advanced offset.
      const lock = `select next_offset${marker ? `, ${markNoAppendSql('$4')} as marked` : ''} from consumer_offsets where group_id = $1 and topic = $2 and partition = $3 for update`;
      const { rows } = await tx.query<{ next_offset: string | null }>(lock, marker ? [scope, topic, partition, marker] : [scope, topic, partition]);
      stored = rows[0]?.next_offset == null ? undefined : BigInt(rows[0].next_offset);
    }
    if (stored !== undefined && stored > last) return { kind: 'ahead', scope, nextOffset: stored };
    if (stored !== undefined && stored < first) return { kind: 'behind', scope, nextOffset: stored };

    // stored is within [first, last] here: at first (or unset) the whole batch is fresh, with no
    // per-message BigInt.
    const fresh = stored === undefined || stored === first ? decoded : decoded.filter((d) => BigInt(d.message.offset) >= stored);
    const letters: DeadLetterInput[] = [];
    const accepted: Array<{ message: KafkaMessage; decoded: DecodedEvent }> = [];
    for (const d of fresh) {
      if (d.result.ok) accepted.push({ message: d.message, decoded: d.result.decoded });
      else letters.push(this.letter(topic, partition, d.message, d.result.code, d.result.message, d.result.eventType, d.result.eventId));
    }
    let toApply = accepted;
    let claim: InboxClaim | undefined;
    if (this.options.dedupeByEventId !== false && accepted.length > 0) {
      const eventIds = accepted.map((a) => a.decoded.metadata.eventId);
      claim = await this.options.inbox?.claim(eventIds);
      if (claim) claims.push(claim);
      const claimed = claim ? new Set(claim.fresh) : (claimedWithLock ?? (await this.claimEventIds(tx, scope, eventIds)));
      toApply = accepted.filter((a) => claimed.delete(a.decoded.metadata.eventId));
    }
    const batchTrace = this.options.tracing === 'batch' && toApply.length > 0 ? startConsumerBatchSpan(topic, partition, batch.firstOffset()!, toApply.length, this.options.groupId) : undefined;
    if (batchTrace) spans.push(batchTrace.span);
    const events = toApply.map((a): ConsumedEvent => {
      let traceContext: Context;
      if (batchTrace) traceContext = batchTrace.context;
      else {
        const started = startConsumerSpan(a.message.headers, topic, partition, a.message.offset, this.options.groupId);
        spans.push(started.span);
        traceContext = started.context;
      }
      const d = a.decoded;
      return { event: d.event, metadata: d.metadata, type: d.type, topic, partition, offset: BigInt(a.message.offset), key: a.message.key, headers: a.message.headers ?? {}, traceContext };
    });
    const ctx = this.batchContext(tx, scope, topic, partition, payload);
    let appliedCount = events.length;
    if (events.length > 0 && !isolate) {
      try {
        await this.options.handleBatch(events, ctx);
      } catch (err) {
        if (asPoisonFailure(err)) throw new IsolationRequired();
        throw err;
      }
    } else if (events.length > 0) {
      // Slow path after a contract violation: one savepoint per event finds the violating ones.
      for (const event of events) {
        await tx.query('savepoint ionet_event');
        try {
          await this.options.handleBatch([event], ctx);
          await tx.query('release savepoint ionet_event');
        } catch (err) {
          const contract = asPoisonFailure(err);
          if (!contract) throw err;
          await tx.query('rollback to savepoint ionet_event');
          if (claim) claim.release(event.metadata.eventId);
          else await tx.query('delete from consumer_processed_events where group_id = $1 and event_id = $2', [scope, event.metadata.eventId]);
          const original = fresh.find((d) => BigInt(d.message.offset) === event.offset)!.message;
          letters.push(this.letter(topic, partition, original, contract.code, contract.message, event.metadata.eventType, event.metadata.eventId));
          appliedCount--;
        }
      }
    }
    await recordDeadLetters(tx, letters);
    if (!advanced) {
      await tx.query(
        `insert into consumer_offsets (group_id, topic, partition, next_offset) values ($1, $2, $3, $4)
         on conflict (group_id, topic, partition) do update set next_offset = excluded.next_offset, updated_at = now()`,
        [scope, topic, partition, (last + 1n).toString()],
      );
    }
    return { kind: 'applied', scope, nextOffset: last + 1n, appliedCount, duplicateCount: accepted.length - toApply.length, deadLetteredCount: letters.length };
  }

  private async afterCommit(outcome: BatchOutcome, batch: Batch, payload: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    this.knownOffsetRows.add(`${outcome.scope}\n${topic}\n${partition}`);
    const consumer = this.consumer;
    if (outcome.kind === 'behind') {
      // Kafka is past what the database has applied (its group offsets were reset or moved):
      // go back to the database's offset.
      this.logger.warn(`${topic}[${partition}]: database offset ${outcome.nextOffset} is behind the fetch position ${batch.firstOffset()}; seeking back`);
      consumer?.seek({ topic, partition, offset: outcome.nextOffset.toString() });
      return;
    }
    if (outcome.kind === 'ahead' && outcome.nextOffset > BigInt(batch.lastOffset()) + 1n) {
      consumer?.seek({ topic, partition, offset: outcome.nextOffset.toString() });
      return;
    }
    payload.resolveOffset(batch.lastOffset());
    this.copyOffsetToKafka(topic, partition, outcome.nextOffset);
    if (outcome.kind === 'applied') {
      this.appliedCount += outcome.appliedCount;
      if (outcome.deadLetteredCount > 0) await this.publishDeadLetters();
      const highWatermark = BigInt(batch.highWatermark);
      const lag = highWatermark > outcome.nextOffset ? highWatermark - outcome.nextOffset : 0n;
      const group = this.metricsGroup;
      if (outcome.appliedCount > 0) this.metrics.consumed(group, topic, 'applied', outcome.appliedCount);
      if (outcome.duplicateCount > 0) this.metrics.consumed(group, topic, 'duplicate', outcome.duplicateCount);
      if (outcome.deadLetteredCount > 0) this.metrics.consumed(group, topic, 'dead_lettered', outcome.deadLetteredCount);
      this.metrics.lag(group, topic, partition, Number(lag));
      this.options.onProgress?.({
        groupId: this.options.groupId,
        scope: outcome.scope,
        topic,
        partition,
        nextOffset: outcome.nextOffset,
        highWatermark,
        lag,
        appliedCount: outcome.appliedCount,
        duplicateCount: outcome.duplicateCount,
        deadLetteredCount: outcome.deadLetteredCount,
      });
    }
  }

  private markRetrying(batch: Batch, attempts: number, err: unknown): void {
    const key = partitionKeyOf(batch.topic, batch.partition);
    const previous = this.retrying.get(key);
    this.retrying.set(key, {
      groupId: this.options.groupId,
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: batch.firstOffset() ?? '',
      sinceMs: previous?.sinceMs ?? Date.now(),
      attempts,
      lastError: errorMessage(err).slice(0, 500),
    });
    this.metrics.batchRetries?.(this.metricsGroup, batch.topic, batch.partition, attempts);
  }

  private clearRetrying(topic: string, partition: number): void {
    if (this.retrying.delete(partitionKeyOf(topic, partition))) this.metrics.batchRetries?.(this.metricsGroup, topic, partition, 0);
  }

  /** Kafka's copy of the offset is informational (lag dashboards); the database's is the truth, so
   *  the next batch does not wait for it: one commit at a time, carrying the latest offset of every
   *  partition (ADR 0206). A copy that lags only makes a restarted consumer skip what the database
   *  already has. */
  private copyOffsetToKafka(topic: string, partition: number, nextOffset: bigint): void {
    this.kafkaOffsetsPending.set(`${topic}\n${partition}`, { topic, partition, offset: nextOffset.toString() });
    this.kafkaCommit ??= this.commitKafkaOffsets().finally(() => {
      this.kafkaCommit = undefined;
    });
  }

  private async commitKafkaOffsets(): Promise<void> {
    // Each pass takes what piled up during the previous one; ends when nothing is pending.
    while (this.kafkaOffsetsPending.size > 0 && this.consumer) {
      const offsets = [...this.kafkaOffsetsPending.values()];
      this.kafkaOffsetsPending.clear();
      await this.consumer.commitOffsets(offsets).catch((err: unknown) => {
        this.logger.warn(`informational offset commit failed: ${errorMessage(err)}`);
      });
    }
  }

  /** Records a failed publication for the next batch or start to retry; the dead letter itself is
   *  already committed. */
  private async publishDeadLetters(): Promise<void> {
    try {
      await this.deadLetters.publishPending(this.options.groupId);
    } catch (err) {
      this.logger.warn(`dead letters of ${this.options.groupId} not published yet: ${errorMessage(err)}`);
    }
  }

  private async scopeOf(tx: EventingTransaction): Promise<string> {
    return this.options.resolveScope ? this.options.resolveScope(tx) : this.options.groupId;
  }

  private async claimEventIds(tx: EventingTransaction, scope: string, eventIds: string[]): Promise<Set<string>> {
    const { rows } = await tx.query<{ event_id: string }>(
      `insert into consumer_processed_events (group_id, event_id) select $1, unnest($2::uuid[]) on conflict do nothing returning event_id`,
      [scope, eventIds],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  private batchContext(tx: EventingTransaction, scope: string, topic: string, partition: number, payload: EachBatchPayload | undefined): BatchContext {
    return {
      tx,
      scope,
      topic,
      partition,
      heartbeat: async () => {
        await payload?.heartbeat().catch(() => undefined);
      },
    };
  }

  private letter(topic: string, partition: number, message: KafkaMessage, errorCode: string, error: string, eventType: string, eventId: string): DeadLetterInput {
    return {
      consumerGroup: this.options.groupId,
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: message.headers,
      errorCode,
      errorMessage: error,
      eventType,
      eventId,
    };
  }
}
