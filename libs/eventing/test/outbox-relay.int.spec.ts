import { Client, Pool } from 'pg';
import { testConnections, waitFor } from '@ionet/testing';
import { ConsumerRunner, EventStore, noAppendMarker, OutboxRelay, PgTransactionRunner, type StoredEvent } from '../src';
import { deviceListed, eventingTestKit, memoryLogger, type EventingTestKit } from './support/eventing-test-kit';
import { applyToTestProjection, appliedCounts, TEST_PROJECTION_DDL } from './support/test-projection';

jest.setTimeout(60_000);

describe('OutboxRelay', () => {
  let kit: EventingTestKit;
  let store: EventStore;
  const published: StoredEvent[] = [];
  const relays: OutboxRelay[] = [];
  const runners: ConsumerRunner[] = [];

  const newRelay = () => {
    const relay = new OutboxRelay({ connection: kit.poolConfig, kafka: kit.kafka, topicPrefix: kit.ns.topicPrefix, pollIntervalMs: 200, batchSizeMax: 100, logger: memoryLogger(), onBatchPublished: (events) => published.push(...events) });
    relays.push(relay);
    return relay;
  };
  const publishedIds = () => published.map((e) => e.metadata.aggregateId);
  const topicMessageCount = async () => {
    const admin = kit.kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(kit.inventoryTopic)).reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    kit = await eventingTestKit('outbox_relay');
    store = new EventStore({ pool: kit.pool, producer: 'inventory' });
    for (const ddl of TEST_PROJECTION_DDL) await kit.pool.query(ddl);
  });
  afterAll(async () => {
    for (const relay of relays) await relay.stop();
    for (const runner of runners) await runner.stop();
    await kit.close();
  });

  it('publishes a transaction that commits late, and the later one, skipping neither', async () => {
    const relay = newRelay();
    await relay.start();
    const early = new Client(kit.poolConfig);
    await early.connect();
    try {
      await early.query('begin');
      // Takes the lower position and transaction id, then stays open.
      await store.append(early, { streamId: 'dev-early', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-early')] });
      await store.append(undefined, { streamId: 'dev-late', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-late')] });
      // A relay reading "position > last published" would publish dev-late now and never dev-early.
      await new Promise((r) => setTimeout(r, 700));
      expect(publishedIds()).not.toContain('dev-late');
      await early.query('commit');
    } finally {
      await early.end();
    }
    await waitFor('both events published', () => (publishedIds().includes('dev-early') && publishedIds().includes('dev-late') ? true : undefined), 10_000);
    expect(publishedIds().filter((id) => id === 'dev-early' || id === 'dev-late')).toEqual(['dev-early', 'dev-late']);
    await relay.stop();
  });

  it('publishes after a crash between commit and publish, and the consumer applies each event once', async () => {
    const before = published.length;
    // Committed while no relay runs (it crashed after the command's commit).
    for (let i = 0; i < 5; i++) await store.append(undefined, { streamId: `dev-crash-${i}`, streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed(`dev-crash-${i}`)] });
    const restarted = newRelay();
    await restarted.start();
    await waitFor('the 5 events published after restart', () => (published.length - before >= 5 ? true : undefined), 10_000);
    await restarted.stop();

    const runner = new ConsumerRunner({
      kafka: kit.kafka,
      groupId: `${kit.ns.topicPrefix}projection`,
      topics: [kit.inventoryTopic],
      transactions: kit.transactions,
      deadLetterTopic: kit.dlqTopic,
      handleBatch: (events, ctx) => applyToTestProjection(events, ctx.tx),
      logger: memoryLogger(),
    });
    runners.push(runner);
    await runner.start();
    await waitFor('7 events applied', async () => ((await appliedCounts(kit.pool)).distinct === 7 ? true : undefined), 20_000);
    const messagesBefore = await topicMessageCount();

    // A crash after Kafka acknowledged but before the checkpoint was saved: the relay starts over
    // from its last saved checkpoint and publishes those events again.
    await kit.pool.query(`update outbox_checkpoints set transaction_id = '0', position = 0`);
    const again = newRelay();
    await again.start();
    await waitFor('the batch re-published', async () => ((await topicMessageCount()) >= messagesBefore + 7 ? true : undefined), 10_000);
    await again.stop();
    await waitFor('the consumer read the duplicates', async () => {
      const { rows } = await kit.pool.query<{ next: string }>(`select coalesce(sum(next_offset), 0) as next from consumer_offsets where group_id = $1`, [`${kit.ns.topicPrefix}projection`]);
      return Number(rows[0].next) >= messagesBefore + 7 ? true : undefined;
    }, 20_000);
    expect(await appliedCounts(kit.pool)).toEqual({ rows: 7, distinct: 7 });
  });

  it('wakes on the NOTIFY sent after commits by an event store of another pool (no poll, no in-process signal)', async () => {
    // Polls every 30 s at most: publication within a second or two can only come from the NOTIFY.
    const seen: StoredEvent[] = [];
    const relay = new OutboxRelay({
      connection: kit.poolConfig, kafka: kit.kafka, topicPrefix: kit.ns.topicPrefix, relayId: 'notify-wake', pollIntervalMs: 30_000, pollIntervalMinMs: 30_000,
      logger: memoryLogger(), onBatchPublished: (events) => seen.push(...events),
    });
    relays.push(relay);
    const backlog = Number((await kit.pool.query<{ n: string }>('select count(*) as n from events')).rows[0].n);
    await relay.start();
    await waitFor('the backlog published', () => (seen.length >= backlog ? true : undefined), 10_000);
    // Its next read finds nothing and starts a 30 s wait.
    await new Promise((r) => setTimeout(r, 300));

    const otherPool = new Pool({ ...kit.poolConfig, max: 2 });
    const other = new EventStore({ pool: otherPool, producer: 'inventory' });
    try {
      let t = Date.now();
      await other.append(undefined, { streamId: 'dev-notified', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-notified')] });
      await waitFor('published after a NOTIFY', () => (seen.some((e) => e.metadata.aggregateId === 'dev-notified') ? true : undefined), 5_000);
      expect(Date.now() - t).toBeLessThan(2_000);

      // Appended inside a runner's transaction: the wake-up is sent after COMMIT (tx.afterCommit).
      t = Date.now();
      await new PgTransactionRunner(otherPool).transaction((tx) =>
        other.append(tx, { streamId: 'dev-notified-tx', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-notified-tx')] }),
      );
      await waitFor('published after a NOTIFY', () => (seen.some((e) => e.metadata.aggregateId === 'dev-notified-tx') ? true : undefined), 5_000);
      expect(Date.now() - t).toBeLessThan(2_000);
    } finally {
      await otherPool.end();
    }
    await relay.stop();
  });
  it('is not held back by a transaction open in another database; the cluster-wide horizon is (ADR 0220)', async () => {
    const seen: StoredEvent[] = [];
    const relayWith = (visibilityHorizon: 'database' | 'cluster') => {
      const relay = new OutboxRelay({
        connection: kit.poolConfig, kafka: kit.kafka, topicPrefix: kit.ns.topicPrefix, relayId: `horizon-${visibilityHorizon}`, pollIntervalMs: 50, visibilityHorizon,
        logger: memoryLogger(), onBatchPublished: (events) => seen.push(...events.map((e) => ({ ...e, relayId: visibilityHorizon }))),
      });
      relays.push(relay);
      return relay;
    };
    const seenBy = (relayId: string, aggregateId: string) => seen.some((e) => (e as StoredEvent & { relayId: string }).relayId === relayId && e.metadata.aggregateId === aggregateId);
    // Another database of the same cluster (transaction ids are cluster-wide), with an id taken.
    const elsewhere = new Client({ connectionString: testConnections().postgresAdminUrl });
    await elsewhere.connect();
    const byDatabase = relayWith('database');
    const byCluster = relayWith('cluster');
    try {
      await elsewhere.query('begin');
      await elsewhere.query('select pg_current_xact_id()');
      await store.append(undefined, { streamId: 'dev-horizon', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-horizon')] });
      await byDatabase.start();
      await byCluster.start();
      await waitFor('published while the other database has a transaction open', () => (seenBy('database', 'dev-horizon') ? true : undefined), 10_000);
      // The cluster-wide horizon is the other database's transaction: still nothing after it.
      await new Promise((r) => setTimeout(r, 500));
      expect(seenBy('cluster', 'dev-horizon')).toBe(false);
      await elsewhere.query('commit');
      await waitFor('published once the other transaction ended', () => (seenBy('cluster', 'dev-horizon') ? true : undefined), 10_000);
    } finally {
      await elsewhere.end();
    }
    await byDatabase.stop();
    await byCluster.stop();
  });
  it('does not wait for a transaction of its database marked as never appending; waits for one that is not (ADR 0221)', async () => {
    const seen: StoredEvent[] = [];
    const relay = new OutboxRelay({
      connection: kit.poolConfig, kafka: kit.kafka, topicPrefix: kit.ns.topicPrefix, relayId: 'no-append-horizon', pollIntervalMs: 50,
      logger: memoryLogger(), onBatchPublished: (events) => seen.push(...events),
    });
    relays.push(relay);
    const seenId = (aggregateId: string) => seen.some((e) => e.metadata.aggregateId === aggregateId);
    // What a consumer batch with appendsEvents: false does: marks itself, then takes an id (a row
    // lock, a write) and stays open while an event commits after it.
    const marked = new Client(kit.poolConfig);
    const unmarked = new Client(kit.poolConfig);
    await marked.connect();
    await unmarked.connect();
    try {
      await marked.query('begin');
      await marked.query(`select set_config('application_name', $1, true)`, [noAppendMarker('relay-test')]);
      await marked.query('select pg_current_xact_id()');
      await store.append(undefined, { streamId: 'dev-past-marked', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-past-marked')] });
      await relay.start();
      await waitFor('published while the marked transaction is open', () => (seenId('dev-past-marked') ? true : undefined), 10_000);

      // The same without the mark: it could still append below the event, so the relay waits.
      await unmarked.query('begin');
      await unmarked.query('select pg_current_xact_id()');
      await store.append(undefined, { streamId: 'dev-past-unmarked', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-past-unmarked')] });
      await new Promise((r) => setTimeout(r, 700));
      expect(seenId('dev-past-unmarked')).toBe(false);
      await unmarked.query('commit');
      await waitFor('published once the unmarked transaction ended', () => (seenId('dev-past-unmarked') ? true : undefined), 10_000);
      await marked.query('commit');
    } finally {
      await marked.end();
      await unmarked.end();
    }
    await relay.stop();
  });
  it('drain() returns with the checkpoint of the last acknowledged batch written (written while the next batch is sent)', async () => {
    for (let i = 0; i < 7; i++) await store.append(undefined, { streamId: `dev-drain-${i}`, streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed(`dev-drain-${i}`)] });
    const seen: StoredEvent[] = [];
    const relay = new OutboxRelay({ connection: kit.poolConfig, kafka: kit.kafka, topicPrefix: kit.ns.topicPrefix, relayId: 'drain-checkpoint', batchSizeMax: 2, logger: memoryLogger(), onBatchPublished: (events) => seen.push(...events) });
    relays.push(relay);
    const backlog = Number((await kit.pool.query<{ n: string }>('select count(*) as n from events')).rows[0].n);
    expect(await relay.drain()).toBe(backlog);
    const last = seen[seen.length - 1];
    const { rows } = await kit.pool.query<{ transaction_id: string; position: string; published_count: string }>(
      `select transaction_id::text as transaction_id, position, published_count from outbox_checkpoints where relay_id = 'drain-checkpoint'`,
    );
    expect(rows[0]).toEqual({ transaction_id: last.transactionId.toString(), position: last.position.toString(), published_count: String(backlog) });
    // In order, each event once, across batches read ahead of their sends.
    const order = (e: StoredEvent) => `${e.transactionId.toString().padStart(20, '0')}:${e.position.toString().padStart(20, '0')}`;
    expect(seen.map(order)).toEqual(seen.map(order).sort());
    expect(new Set(seen.map((e) => e.metadata.eventId)).size).toBe(backlog);
    await relay.stop();
  });
});
