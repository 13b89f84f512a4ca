import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { Client, type ClientConfig } from 'pg';
import type { Kafka, Message as KafkaMessage, Producer, TopicMessages } from 'kafkajs';
import { EVENT_HEADERS, EventRegistry, encodeEnvelope } from '@ionet/contracts';
import { readAllSql, readBelowDatabaseHorizonSql, toStoredEvent, type EventRow, type StoredEvent } from '../store/event-store';
import { EVENTS_NOTIFY_CHANNEL } from '../store/eventing-schema';
import { backoffDelayMs, DEFAULT_BACKOFF, sleepInSlices, type BackoffOptions } from '../support/backoff';
import { contextFromTraceparent, startProducerSpan } from '../support/tracing';
import { defaultLogger, type EventingLogger } from '../support/eventing-logger';
import { errorMessage } from '../support/eventing-errors';
import { eventingMetrics, type EventingMetrics } from '../support/eventing-metrics';

export interface OutboxRelayOptions {
  /** Connection settings of the service's database (with its search_path); the relay holds one
   *  dedicated connection for LISTEN, its leader lock, reads and its checkpoint. */
  connection: ClientConfig;
  kafka: Kafka;
  /** One checkpoint per relay id; instances with the same id elect one leader. */
  relayId?: string;
  /** Test namespaces prefix topic names; production leaves it empty. */
  topicPrefix?: string;
  registry?: EventRegistry;
  batchSizeMax?: number;
  /** Longest wait between two reads while idle (default 100 ms). The relay polls: after a read
   *  that found nothing it waits pollIntervalMinMs, doubling up to this; after a read that found
   *  events it reads again at once. A wake-up (a NOTIFY on EVENTS_NOTIFY_CHANNEL for this schema,
   *  sent by EventStore after commits, or wake() in this process) cuts a wait short: polling is
   *  the fallback for a lost notification (ADR 0207). */
  pollIntervalMs?: number;
  /** First wait after an empty read (default 2 ms): bounds the relay's share of the commit ->
   *  publish latency under load (ADR 0206). */
  pollIntervalMinMs?: number;
  backoff?: BackoffOptions;
  /** kafkajs retries of one send before the relay backs off and re-reads from its checkpoint. */
  sendRetriesMax?: number;
  logger?: EventingLogger;
  onBatchPublished?: (events: StoredEvent[]) => void;
  /** Counts published events by topic (no-op by default). */
  metrics?: EventingMetrics;
  /** Which running transactions hold back the read (ADR 0220, 0221). 'database' (default): those
   *  that might still append to this database's events table (not those of other databases, nor
   *  consumer batches marked as never appending). 'cluster': the oldest running transaction of
   *  the whole PostgreSQL cluster, as EventStore.readAll in a caller's transaction does; one long
   *  transaction in any other database stalls the relay until it ends. */
  visibilityHorizon?: 'database' | 'cluster';
}

/** The relay's read: the database's oid is read once per connection and passed as $4. */
const RELAY_READ_SQL = readBelowDatabaseHorizonSql('$4::oid');

/** First wait after a wake-up found nothing visible yet (see retryFast). */
const WAKE_RETRY_MIN_MS = 1;

interface Checkpoint {
  transactionId: bigint;
  position: bigint;
}

/** Publishes committed events to Kafka in (transaction id, position) order, advancing its
 *  checkpoint only after Kafka acknowledged (acks=all, idempotent producer). At-least-once:
 *  a crash between the acknowledgement and the checkpoint re-publishes that batch, which
 *  consumers drop by event id (ADR 0201). */
export class OutboxRelay {
  private readonly relayId: string;
  private readonly batchSizeMax: number;
  private readonly pollIntervalMs: number;
  private readonly pollIntervalMinMs: number;
  private idleWaitMs = 0;
  private readonly backoff: BackoffOptions;
  private readonly registry: EventRegistry;
  private readonly logger: EventingLogger;
  private readonly metrics: EventingMetrics;
  private producer: Producer | undefined;
  private client: Client | undefined;
  private schema = '';
  /** This database's oid (the horizon query filters the backends by it). */
  private databaseOid = '';
  private leader = false;
  private checkpoint: Checkpoint | undefined;
  /** The last acknowledged batch whose checkpoint is not written yet: written while the next
   *  batch is sent, or when the relay finds nothing to do. */
  private pendingCheckpoint: { last: StoredEvent; count: number } | undefined;
  /** Checkpoint writes issued after Kafka's acknowledgement but not awaited by the next send. */
  private checkpointWrites: Promise<void> | undefined;
  private checkpointError: unknown;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeWaiter: (() => void) | undefined;
  private pendingWake = false;
  /** After a wake-up, an empty read is retried from WAKE_RETRY_MIN_MS on (doubling): the commit that
   *  woke us can be hidden for a moment behind an older transaction still running (ADR 0200). */
  private retryFast = false;
  publishedCount = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.relayId = options.relayId ?? 'default';
    this.batchSizeMax = options.batchSizeMax ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.pollIntervalMinMs = Math.min(options.pollIntervalMinMs ?? 2, this.pollIntervalMs);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.registry = options.registry ?? EventRegistry.catalogue();
    this.logger = options.logger ?? defaultLogger('OutboxRelay');
    this.metrics = eventingMetrics(options.metrics, (err) => this.logger.warn(`metrics: ${errorMessage(err)}`));
    if (this.batchSizeMax < 1 || this.batchSizeMax > 10_000) throw new RangeError('batchSizeMax must be within 1..10000');
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp(false);
    await this.loop;
    this.loop = undefined;
    await this.flushCheckpoint().catch(() => undefined);
    await this.closeClient();
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  /** Publishes everything visible now, at most `batchesMax` batches; returns how many events. */
  async drain(batchesMax = 1_000): Promise<number> {
    let total = 0;
    for (let i = 0; i < batchesMax; i++) {
      await this.ensureReady();
      if (!this.leader) return total;
      const published = await this.publishBatch();
      total += published;
      if (published < this.batchSizeMax) break;
    }
    await this.flushCheckpoint();
    return total;
  }

  private async run(): Promise<void> {
    let failures = 0;
    // Runs until stop(); every pass publishes at most batchSizeMax events.
    while (this.running) {
      try {
        await this.ensureReady();
        const published = this.leader ? await this.publishBatch() : 0;
        failures = 0;
        if (published > 0) {
          this.idleWaitMs = 0;
          this.retryFast = false;
        } else {
          if (this.client) this.writePendingCheckpoint(this.client);
          await this.waitForWork();
        }
      } catch (err) {
        const delayMs = backoffDelayMs(failures++, this.backoff);
        this.logger.warn(`outbox relay ${this.relayId}: ${errorMessage(err)}; retrying in ${delayMs} ms (failure ${failures})`);
        await this.closeClient();
        await this.resetProducer();
        await this.sleep(delayMs);
      }
    }
  }

  private async ensureReady(): Promise<void> {
    if (!this.producer) {
      const producer = this.options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: this.options.sendRetriesMax ?? 8, initialRetryTime: 100, maxRetryTime: 5_000 },
      });
      await producer.connect();
      this.producer = producer;
    }
    if (!this.client) {
      const client = new Client(this.options.connection);
      client.on('error', () => {
        this.client = undefined;
        this.leader = false;
        this.wakeUp(false);
      });
      client.on('notification', (msg) => {
        if (msg.channel === EVENTS_NOTIFY_CHANNEL && msg.payload === this.schema) this.wake();
      });
      await client.connect();
      this.client = client;
      const { rows: here } = await client.query<{ schema: string; oid: string }>(
        'select current_schema() as schema, (select oid from pg_database where datname = current_database())::text as oid',
      );
      this.schema = here[0].schema;
      this.databaseOid = here[0].oid;
      // This connection writes only the checkpoint: one lost in a crash re-publishes events that
      // consumers drop by event id (at-least-once already), so its commits need not wait for the
      // WAL flush that the appending transactions are queueing for.
      await client.query('set synchronous_commit = off');
      await client.query(`listen ${EVENTS_NOTIFY_CHANNEL}`);
      await client.query(`insert into outbox_checkpoints (relay_id) values ($1) on conflict do nothing`, [this.relayId]);
      this.checkpoint = undefined;
      this.leader = false;
    }
    if (!this.leader) {
      const { rows } = await this.client.query<{ locked: boolean }>(`select pg_try_advisory_lock(hashtextextended($1, 0)) as locked`, [
        `ionet-outbox-relay:${this.schema}:${this.relayId}`,
      ]);
      this.leader = rows[0].locked;
    }
  }

  /** Publishes one batch. The relay reads after the previous batch was acknowledged, so one batch
   *  carries everything committed meanwhile; the previous batch's checkpoint is written while this
   *  one is in flight to Kafka, not between two sends (ADR 0220). A checkpoint is only ever written
   *  after Kafka acknowledged its batch. */
  private async publishBatch(): Promise<number> {
    const client = this.client!;
    if (this.checkpointError !== undefined) {
      const err = this.checkpointError;
      this.checkpointError = undefined;
      throw err;
    }
    if (!this.checkpoint) {
      const { rows } = await client.query<{ transaction_id: string; position: string }>(
        `select transaction_id::text as transaction_id, position from outbox_checkpoints where relay_id = $1`,
        [this.relayId],
      );
      this.checkpoint = { transactionId: BigInt(rows[0].transaction_id), position: BigInt(rows[0].position) };
      this.pendingCheckpoint = undefined;
    }
    const rows = await this.readBatch(client, this.checkpoint);
    if (rows.length === 0) return 0;
    const events = rows.map(toStoredEvent);
    const byTopic = new Map<string, KafkaMessage[]>();
    const spans: Span[] = [];
    for (const event of events) {
      const m = event.metadata;
      const topic = this.registry.topicOf(m.eventType, this.options.topicPrefix);
      const { span, carrier } = startProducerSpan(contextFromTraceparent(m.traceparent, m.tracestate), topic, m.eventId, m.eventType);
      spans.push(span);
      const headers: Record<string, string> = {
        [EVENT_HEADERS.eventType]: m.eventType,
        [EVENT_HEADERS.eventId]: m.eventId,
        [EVENT_HEADERS.schemaVersion]: String(m.schemaVersion),
        ...carrier,
      };
      const list = byTopic.get(topic) ?? [];
      list.push({ key: m.aggregateId, value: Buffer.from(encodeEnvelope(m, event.payload)), headers });
      byTopic.set(topic, list);
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const last = events[events.length - 1];
    const sent = this.producer!.sendBatch({ topicMessages, acks: -1 });
    this.writePendingCheckpoint(client);
    try {
      await sent;
    } catch (err) {
      for (const span of spans) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
        span.end();
      }
      throw err;
    }
    for (const span of spans) span.end();
    this.pendingCheckpoint = { last, count: events.length };
    this.checkpoint = { transactionId: last.transactionId, position: last.position };
    this.publishedCount += events.length;
    for (const [topic, messages] of byTopic) this.metrics.published(topic, messages.length);
    this.options.onBatchPublished?.(events);
    return events.length;
  }

  /** Issues the pending checkpoint write (not awaited; the connection runs it before anything
   *  queued later). */
  private writePendingCheckpoint(client: Client): void {
    const pending = this.pendingCheckpoint;
    if (!pending) return;
    this.pendingCheckpoint = undefined;
    this.writeCheckpoint(client, pending.last, pending.count);
  }

  /** Issued at once, awaited only by drain(), stop() and a failure check before the next batch:
   *  the connection runs it before the next read. */
  private writeCheckpoint(client: Client, last: StoredEvent, count: number): void {
    const write = client
      .query(
        `update outbox_checkpoints set transaction_id = $2::xid8, position = $3, published_count = published_count + $4, updated_at = now()
          where relay_id = $1`,
        [this.relayId, last.transactionId.toString(), last.position.toString(), count],
      )
      .then(
        () => undefined,
        (err: unknown) => {
          this.checkpointError ??= err;
        },
      );
    const previous = this.checkpointWrites;
    this.checkpointWrites = previous ? previous.then(() => write) : write;
  }

  private async flushCheckpoint(): Promise<void> {
    if (this.client) this.writePendingCheckpoint(this.client);
    const writes = this.checkpointWrites;
    this.checkpointWrites = undefined;
    await writes;
    if (this.checkpointError !== undefined) {
      const err = this.checkpointError;
      this.checkpointError = undefined;
      throw err;
    }
  }

  private async readBatch(client: Client, after: Checkpoint): Promise<EventRow[]> {
    const cursor = [after.transactionId.toString(), after.position.toString(), this.batchSizeMax];
    if (this.options.visibilityHorizon === 'cluster') return (await client.query<EventRow>(readAllSql(), cursor)).rows;
    // Its own statement outside any transaction block, as the horizon's safety needs (ADR 0221).
    return (await client.query<EventRow>({ name: 'ionet_relay_read_v2', text: RELAY_READ_SQL, values: [...cursor, this.databaseOid] })).rows;
  }

  /** Events committed: read now instead of at the next poll. EventStore calls it for a relay of
   *  the same process (EventingModule wires it); cheap, coalesced, never throws. */
  wake(): void {
    this.wakeUp(true);
  }

  private wakeUp(newEvents: boolean): void {
    if (newEvents) {
      this.retryFast = true;
      this.idleWaitMs = 0;
    }
    this.pendingWake = true;
    this.wakeWaiter?.();
  }

  private async waitForWork(): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeWaiter = undefined;
        this.pendingWake = false;
        resolve();
      };
      const floorMs = this.retryFast ? Math.min(WAKE_RETRY_MIN_MS, this.pollIntervalMinMs) : this.pollIntervalMinMs;
      this.idleWaitMs = Math.min(this.pollIntervalMs, Math.max(floorMs, this.idleWaitMs * 2));
      if (this.idleWaitMs >= this.pollIntervalMinMs) this.retryFast = false;
      const timer = setTimeout(done, this.idleWaitMs);
      this.wakeWaiter = done;
    });
  }

  /** Backoff sleep: only stop() cuts it short, not new events (they would defeat the backoff). */
  private async sleep(ms: number): Promise<void> {
    await sleepInSlices(ms, 100, () => this.running);
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.leader = false;
    this.checkpoint = undefined;
    this.pendingCheckpoint = undefined;
    this.checkpointWrites = undefined;
    this.checkpointError = undefined;
    await client?.end().catch(() => undefined);
  }

  /** A failed idempotent send can leave the producer's sequence numbers out of step with the
   *  broker's; a fresh producer (new producer id) starts clean. */
  private async resetProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }
}
