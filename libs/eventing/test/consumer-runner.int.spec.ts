import { fromBinary } from '@bufbuild/protobuf';
import { Pool } from 'pg';
import { dlqV1 } from '@ionet/contracts';
import { createTestTopics, waitFor } from '@ionet/testing';
import { ConsumerRunner, ContractViolation, EventStore, EVENTING_ERROR_CODES, NO_APPEND_APPLICATION_NAME, PgTransactionRunner, tableStateHash, type BatchHandler, type ConsumerRunnerOptions } from '../src';
import { deviceListed, eventingTestKit, listedMessage, memoryLogger, type EventingTestKit } from './support/eventing-test-kit';
import { applyToTestProjection, appliedCounts, TEST_PROJECTION_DDL } from './support/test-projection';
import { TcpProxy } from './support/tcp-proxy';

jest.setTimeout(90_000);

// Every case both ways: kafkajs fetching only between batches, and fetching ahead while batches
// are applied (ADR 0221).
describe.each([false, true])('ConsumerRunner (fetchAhead: %s)', (fetchAhead) => {
  let kit: EventingTestKit;
  const running = new Set<ConsumerRunner>();
  let groupSeq = 0;
  /** Each test has its own topic, so a new group reading from the beginning sees only its messages. */
  let topic = '';

  const runner = (overrides: Partial<ConsumerRunnerOptions> & { groupId: string }) => {
    const r = new ConsumerRunner({
      kafka: kit.kafka,
      topics: [topic],
      transactions: kit.transactions,
      deadLetterTopic: kit.dlqTopic,
      handleBatch: (events, ctx) => applyToTestProjection(events, ctx.tx),
      backoff: { initialDelayMs: 50, delayMsMax: 400, jitterRatio: 0 },
      logger: process.env.EVENTING_TEST_LOGS ? console : memoryLogger(),
      fetchAhead,
      ...overrides,
    });
    running.add(r);
    return r;
  };
  const stop = async (r: ConsumerRunner) => {
    await r.stop();
    running.delete(r);
  };
  const freshSchemaTables = async () => {
    await kit.pool.query('drop table if exists applied_events, device_state');
    for (const ddl of TEST_PROJECTION_DDL) await kit.pool.query(ddl);
  };
  const offsetsSum = async (groupId: string) =>
    Number((await kit.pool.query<{ n: string }>(`select coalesce(sum(next_offset), 0) as n from consumer_offsets where group_id = $1`, [groupId])).rows[0].n);
  const send = async (messages: Array<{ key: string; value: Buffer; headers?: Record<string, string>; partition?: number }>) => {
    const producer = await kit.producer();
    await producer.send({ topic, acks: -1, messages });
  };
  const topicEnd = async () => {
    const admin = kit.kafka.admin();
    await admin.connect();
    try {
      // The case's topic was just created: on a busy broker its leader can still be moving
      // (NOT_LEADER_FOR_PARTITION, retriable); ask again for a while.
      for (let attempt = 0; ; attempt++) {
        try {
          return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
        } catch (err) {
          if (!(err as { retriable?: boolean }).retriable || attempt >= 50) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    kit = await eventingTestKit('consumer_runner', 2);
  });
  beforeEach(async () => {
    await freshSchemaTables();
    groupSeq++;
    topic = `${kit.ns.topicPrefix}case${groupSeq}.ionet.inventory.v1`;
    await createTestTopics([{ topic, numPartitions: 2 }]);
  });
  afterEach(async () => {
    for (const r of running) await r.stop();
    running.clear();
  });
  afterAll(async () => {
    await kit.close();
  });

  it('applies each event once when every event arrives twice and out of batch order; a full redelivery changes nothing', async () => {
    const groupId = `${kit.ns.topicPrefix}dup-${groupSeq}`;
    const start = await topicEnd();
    const originals = Array.from({ length: 40 }, (_, i) => listedMessage({ deviceId: `dev-${i % 5}`, version: BigInt(Math.floor(i / 5) + 1) }));
    // Later versions first, then every message again (same event ids, new offsets).
    const disordered = [...originals].reverse();
    await send([...disordered, ...originals]);
    const r = runner({ groupId });
    await r.start();
    await waitFor('all 80 messages consumed', async () => ((await offsetsSum(groupId)) >= start + 80 ? true : undefined), 30_000);
    expect(await appliedCounts(kit.pool)).toEqual({ rows: 40, distinct: 40 });
    const { rows } = await kit.pool.query<{ device_id: string; version: string }>('select device_id, version from device_state order by device_id');
    expect(rows).toEqual(Array.from({ length: 5 }, (_, i) => ({ device_id: `dev-${i}`, version: '8' })));
    const hashBefore = await tableStateHash(kit.pool, 'device_state', ['device_id']);

    // Reset the group's Kafka offsets to the beginning: Kafka redelivers everything.
    await stop(r);
    const admin = kit.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId, topic, earliest: true });
    await admin.disconnect();
    const again = runner({ groupId });
    await again.start();
    await send([listedMessage({ deviceId: 'dev-marker', version: 1n })]);
    await waitFor('the marker applied after the redelivery', async () => ((await kit.pool.query(`select 1 from device_state where device_id = 'dev-marker'`)).rowCount ? true : undefined), 30_000);
    await kit.pool.query(`delete from device_state where device_id = 'dev-marker'`);
    expect(await tableStateHash(kit.pool, 'device_state', ['device_id'])).toEqual(hashBefore);
    expect(await appliedCounts(kit.pool)).toEqual({ rows: 41, distinct: 41 });
    await stop(again);
  });

  it('applies only the messages after the stored offset when a fetched batch overlaps it (Kafka\'s copy of the offsets behind the database\'s)', async () => {
    const groupId = `${kit.ns.topicPrefix}overlap-${groupSeq}`;
    const first = runner({ groupId });
    await first.start();
    await send(Array.from({ length: 10 }, (_, i) => listedMessage({ deviceId: `old-${i}`, version: 1n })));
    await waitFor('the first 10 applied', async () => ((await offsetsSum(groupId)) >= 10 ? true : undefined), 30_000);
    await stop(first);
    const admin = kit.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId, topic, earliest: true });
    await admin.disconnect();
    // Sent before the restart: the first fetch of each partition starts at 0 and runs past the
    // stored offset, so the batch is claimed in the second step, only from the stored offset on.
    await send(Array.from({ length: 6 }, (_, i) => listedMessage({ deviceId: `new-${i}`, version: 1n })));
    const received: string[] = [];
    const again = runner({
      groupId,
      handleBatch: async (events, ctx) => {
        received.push(...events.map((e) => e.metadata.aggregateId));
        await applyToTestProjection(events, ctx.tx);
      },
    });
    await again.start();
    await waitFor('the 6 new messages applied', async () => ((await offsetsSum(groupId)) >= 16 ? true : undefined), 30_000);
    expect(received.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `new-${i}`));
    expect(await appliedCounts(kit.pool)).toEqual({ rows: 16, distinct: 16 });
    await stop(again);
  });

  it('goes back to the database\'s offset when Kafka\'s is ahead of it, and claims nothing from the batch it skips', async () => {
    const groupId = `${kit.ns.topicPrefix}behind-${groupSeq}`;
    const first = runner({ groupId });
    await first.start();
    await send(Array.from({ length: 4 }, (_, i) => listedMessage({ deviceId: `early-${i}`, version: 1n })));
    await waitFor('the first 4 applied', async () => ((await offsetsSum(groupId)) >= 4 ? true : undefined), 30_000);
    await stop(first);
    // Committed while no consumer runs; then the group's Kafka offsets are moved to the end.
    await send(Array.from({ length: 4 }, (_, i) => listedMessage({ deviceId: `missed-${i}`, version: 1n })));
    const admin = kit.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId, topic, earliest: false });
    await admin.disconnect();
    const again = runner({ groupId });
    await again.start();
    // Its batch starts past the database's offset: the runner must not record this event as
    // processed before seeking back, or it would drop it as a duplicate when it comes round again.
    await send(Array.from({ length: 2 }, (_, i) => listedMessage({ deviceId: `late-${i}`, version: 1n })));
    await waitFor('every message applied', async () => ((await offsetsSum(groupId)) >= 10 ? true : undefined), 30_000);
    expect(await appliedCounts(kit.pool)).toEqual({ rows: 10, distinct: 10 });
    const { rows } = await kit.pool.query<{ device_id: string }>(`select device_id from device_state where device_id like 'late-%' order by device_id`);
    expect(rows.map((r) => r.device_id)).toEqual(['late-0', 'late-1']);
    await stop(again);
  });

  it('marks the batch transactions of a consumer that never appends, refuses an append in them, and rolls back the offset written up front when the handler fails (ADR 0221)', async () => {
    const groupId = `${kit.ns.topicPrefix}no-append-${groupSeq}`;
    const start = await topicEnd();
    const store = new EventStore({ pool: kit.pool, producer: 'inventory', commitNotify: false });
    const seen: Array<{ applicationName: string; appendError: string }> = [];
    let failuresLeft = 1;
    const r = runner({
      groupId,
      appendsEvents: false,
      handleBatch: async (events, ctx) => {
        const { rows } = await ctx.tx.query<{ name: string }>(`select current_setting('application_name') as name`);
        const appendError = await store.append(ctx.tx, { streamId: `refused-${events[0].offset}`, streamType: 'device', expectedVersion: 'any', events: [deviceListed('refused')] }).then(
          () => 'appended',
          (err: { code?: string }) => String(err.code),
        );
        seen.push({ applicationName: rows[0].name, appendError });
        await applyToTestProjection(events, ctx.tx);
        // A fault after the offset was already written with the row lock: the retry must apply
        // the batch again (a kept offset would skip it).
        if (events.some((e) => e.key?.toString() === 'dev-fails-once') && failuresLeft-- > 0) throw new Error('fault after the offset write');
      },
    });
    await r.start();
    // One partition throughout: its second batch takes the usual path (lock, claim and offset in one
    // statement).
    await send([{ ...listedMessage({ deviceId: 'dev-first', version: 1n }), partition: 0 }]);
    await waitFor('the first batch (the offset row is created)', async () => ((await offsetsSum(groupId)) >= start + 1 ? true : undefined), 30_000);
    await send([{ ...listedMessage({ deviceId: 'dev-fails-once', version: 1n }), partition: 0 }, { ...listedMessage({ deviceId: 'dev-after', version: 1n }), partition: 0 }]);
    await waitFor('the later batches', async () => ((await offsetsSum(groupId)) >= start + 3 ? true : undefined), 30_000);
    await stop(r);
    const applied = await kit.pool.query<{ device_id: string; n: number }>(`select device_id, count(*)::int as n from applied_events group by device_id order by device_id`);
    expect(applied.rows).toEqual([{ device_id: 'dev-after', n: 1 }, { device_id: 'dev-fails-once', n: 1 }, { device_id: 'dev-first', n: 1 }]);
    expect(failuresLeft).toBe(-1);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const batch of seen) {
      expect(batch.applicationName.startsWith(`${NO_APPEND_APPLICATION_NAME} `)).toBe(true);
      expect(batch.appendError).toBe(EVENTING_ERROR_CODES.appendRefused);
    }
    expect((await kit.pool.query(`select count(*)::int as n from events where stream_id like 'refused-%'`)).rows[0].n).toBe(0);
    // The mark lasted only for the transactions: no pooled connection keeps it.
    const marked = await kit.pool.query(`select count(*)::int as n from pg_stat_activity where starts_with(application_name, $1)`, [NO_APPEND_APPLICATION_NAME]);
    expect(marked.rows[0].n).toBe(0);
    // Without the option the same connections append (the refusal is per transaction).
    await kit.transactions.transaction((tx) => store.append(tx, { streamId: 'allowed-after', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('allowed')] }));
  });

  it('with fetchAhead, fetches a partition\'s next batch while the current one is applied, applies in order, and loses nothing when stopped midway (ADR 0221)', async () => {
    const groupId = `${kit.ns.topicPrefix}ahead-${groupSeq}`;
    const start = await topicEnd();
    const appliedOffsets: Array<{ partition: number; offset: bigint }> = [];
    // When a batch's handler ended, and when kafkajs handed over each batch, per partition.
    const handlerEnds: Array<{ partition: number; at: number }> = [];
    const handedOver: Array<{ partition: number; at: number }> = [];
    const slowHandler: BatchHandler = async (events, ctx) => {
      await applyToTestProjection(events, ctx.tx);
      await new Promise((r) => setTimeout(r, 40));
      ctx.tx.afterCommit?.(() => appliedOffsets.push(...events.map((e) => ({ partition: e.partition, offset: e.offset }))));
      handlerEnds.push({ partition: ctx.partition, at: performance.now() });
    };
    const first = runner({ groupId, fetchAhead: true, handleBatch: slowHandler, maxBytesPerPartition: 2_048 });
    await first.start();
    (first as unknown as { consumer: { on(event: string, listener: (e: { payload: { partition: number } }) => void): void } }).consumer.on('consumer.start_batch_process', (e) =>
      handedOver.push({ partition: e.payload.partition, at: performance.now() }),
    );
    // Ten sends: ten record batches per partition, so kafkajs fetches them in several batches.
    for (let j = 0; j < 10; j++) await send(Array.from({ length: 6 }, (_, k) => ({ ...listedMessage({ deviceId: `ahead-${j * 6 + k}`, version: 1n }), partition: k % 2 })));
    await waitFor('some batches applied', () => (appliedOffsets.length >= 20 ? true : undefined), 30_000);
    await stop(first);
    // Every hand-over but a partition's first came before the previous batch's handler ended there.
    const early = handedOver.filter((h, i) => {
      const before = handedOver.slice(0, i).filter((x) => x.partition === h.partition);
      const ends = handlerEnds.filter((x) => x.partition === h.partition);
      return before.length > 0 && ends.length >= before.length && ends[before.length - 1].at > h.at;
    });
    expect(early.length).toBeGreaterThan(0);
    const second = runner({ groupId, fetchAhead: true, handleBatch: slowHandler, maxBytesPerPartition: 2_048 });
    await second.start();
    await waitFor('the 60 events consumed after the restart', async () => ((await offsetsSum(groupId)) >= start + 60 ? true : undefined), 60_000);
    await stop(second);
    const applied = await kit.pool.query<{ n: string; d: string }>(`select count(*) as n, count(distinct device_id) as d from applied_events where device_id like 'ahead-%'`);
    expect(applied.rows[0]).toEqual({ n: '60', d: '60' });
    // In offset order within each partition, each offset once.
    for (const partition of [0, 1]) {
      const offsets = appliedOffsets.filter((a) => a.partition === partition).map((a) => a.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(new Set(offsets).size).toBe(offsets.length);
    }
  });

  it('neither doubles nor loses events when the consumer dies mid-batch and restarts', async () => {
    const groupId = `${kit.ns.topicPrefix}crash-${groupSeq}`;
    const start = await topicEnd();
    await send(Array.from({ length: 30 }, (_, i) => listedMessage({ deviceId: `crash-${i}`, version: 1n })));
    let crashed = false;
    const crashing: BatchHandler = async (events, ctx) => {
      // Applies part of the batch, then the process "dies": it leaves the group and the
      // transaction never commits.
      await applyToTestProjection(events.slice(0, Math.ceil(events.length / 2)), ctx.tx);
      if (!crashed) {
        crashed = true;
        void first.stop();
        throw new Error('process killed');
      }
      await applyToTestProjection(events.slice(Math.ceil(events.length / 2)), ctx.tx);
    };
    const first: ConsumerRunner = runner({ groupId, handleBatch: crashing });
    await first.start();
    await waitFor('the crash', () => (crashed ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 300));
    running.delete(first);
    const second = runner({ groupId, handleBatch: crashing });
    await second.start();
    await waitFor('the 30 events consumed after restart', async () => ((await offsetsSum(groupId)) >= start + 30 ? true : undefined), 30_000);
    const applied = await kit.pool.query<{ n: string; d: string }>(`select count(*) as n, count(distinct device_id) as d from applied_events where device_id like 'crash-%'`);
    expect(applied.rows[0]).toEqual({ n: '30', d: '30' });
    await stop(second);
  });

  it('dead-letters a poison message and a contract violation, moves on, and re-drives after a fix', async () => {
    const groupId = `${kit.ns.topicPrefix}poison-${groupSeq}`;
    const start = await topicEnd();
    let fixed = false;
    const strict: BatchHandler = async (events, ctx) => {
      for (const e of events) {
        if (e.metadata.aggregateId === 'dev-rejected' && !fixed) throw new ContractViolation('device unknown to this context', 'TEST.UNKNOWN_DEVICE');
      }
      await applyToTestProjection(events, ctx.tx);
    };
    await send([
      listedMessage({ deviceId: 'dev-p', version: 1n }),
      { key: 'dev-p', value: Buffer.from('definitely not an envelope'), headers: { 'ionet-event-type': 'garbage' } },
      listedMessage({ deviceId: 'dev-p', version: 2n }),
      listedMessage({ deviceId: 'dev-rejected', version: 1n }),
      listedMessage({ deviceId: 'dev-after', version: 1n }),
    ]);
    const r = runner({ groupId, handleBatch: strict });
    await r.start();
    await waitFor('all 5 consumed', async () => ((await offsetsSum(groupId)) >= start + 5 ? true : undefined), 30_000);
    expect((await kit.pool.query(`select device_id, version from device_state order by device_id`)).rows).toEqual([
      { device_id: 'dev-after', version: '1' },
      { device_id: 'dev-p', version: '2' },
    ]);
    const letters = await kit.pool.query<{ id: string; error_code: string; original_value: Buffer; published_at: Date | null }>(
      `select id, error_code, original_value, published_at from dead_letters where consumer_group = $1 order by source_offset`,
      [groupId],
    );
    expect(letters.rows.map((l) => l.error_code)).toEqual(['CONTRACT.BAD_ENVELOPE', 'TEST.UNKNOWN_DEVICE']);
    expect(letters.rows[0].original_value.toString()).toBe('definitely not an envelope');

    // Both were published to the DLQ topic with the original bytes.
    const dlqConsumer = kit.kafka.consumer({ groupId: `${kit.ns.topicPrefix}dlq-reader-${groupSeq}`, maxWaitTimeInMs: 200 });
    const seen: dlqV1.DeadLetter[] = [];
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: kit.dlqTopic, fromBeginning: true });
    await dlqConsumer.run({ eachMessage: async ({ message }) => void seen.push(fromBinary(dlqV1.DeadLetterSchema, message.value!)) });
    await waitFor('2 dead letters on the DLQ topic', () => (seen.filter((d) => d.consumerGroup === groupId).length >= 2 ? true : undefined), 20_000);
    await dlqConsumer.disconnect();
    const poison = seen.find((d) => d.consumerGroup === groupId && d.errorCode === 'CONTRACT.BAD_ENVELOPE')!;
    expect(Buffer.from(poison.originalValue).toString()).toBe('definitely not an envelope');
    expect(poison.sourceTopic).toBe(topic);

    // After the fix, the rejected event is re-driven into the handler, once.
    fixed = true;
    await expect(r.redrive(letters.rows[0].id)).rejects.toMatchObject({ code: 'DEAD_LETTER.REDRIVE_FAILED' });
    await expect(r.redrive(letters.rows[1].id)).resolves.toBe('applied');
    await expect(r.redrive(letters.rows[1].id)).resolves.toBe('already-redriven');
    expect((await kit.pool.query(`select count(*)::int as n from applied_events where device_id = 'dev-rejected'`)).rows[0].n).toBe(1);
    await stop(r);
  });

  it('lets the group rebalance while a batch retries a fault, instead of holding every member up for the rebalance timeout', async () => {
    const groupId = `${kit.ns.topicPrefix}rebalance-${groupSeq}`;
    let failing = true;
    const retriesA: number[] = [];
    const partitionsOfB = new Set<number>();
    const faulty =
      (seen?: Set<number>): BatchHandler =>
      async (events, ctx) => {
        seen?.add(ctx.partition);
        if (failing) throw new Error('test fault: the database is down');
        await applyToTestProjection(events, ctx.tx);
      };
    const start = await topicEnd();
    await send(Array.from({ length: 8 }, (_, i) => listedMessage({ deviceId: `dev-rebalance-${i}`, version: 1n })));
    const a = runner({ groupId, handleBatch: faulty(), onRetry: (info) => retriesA.push(info.partition) });
    await a.start();
    await waitFor('A retries a fault', () => (retriesA.length >= 2 ? true : undefined), 20_000);
    // A second member joins: the group must rebalance now, not after kafkajs's 60 s rebalance timeout.
    const b = runner({ groupId, handleBatch: faulty(partitionsOfB) });
    const joinStartedAt = Date.now();
    await b.start();
    await waitFor('B is given a partition', () => (partitionsOfB.size > 0 ? true : undefined), 20_000);
    expect(Date.now() - joinStartedAt).toBeLessThan(20_000);
    failing = false;
    await waitFor('everything applied once the fault clears', async () => ((await offsetsSum(groupId)) >= start + 8 ? true : undefined), 30_000);
    const applied = await kit.pool.query(`select count(*)::int as n from applied_events where device_id like 'dev-rebalance-%'`);
    expect(applied.rows[0].n).toBe(8);
    expect((await kit.pool.query(`select count(*)::int as n from dead_letters where consumer_group = $1`, [groupId])).rows[0].n).toBe(0);
  });

  it('pauses and retries while PostgreSQL is unreachable, then resumes; nothing is dead-lettered', async () => {
    const groupId = `${kit.ns.topicPrefix}outage-${groupSeq}`;
    const proxy = new TcpProxy('127.0.0.1', 5432);
    const port = await proxy.start();
    const url = new URL(kit.poolConfig.connectionString!);
    url.port = String(port);
    const proxiedPool = new Pool({ ...kit.poolConfig, connectionString: url.toString(), connectionTimeoutMillis: 1_000, query_timeout: 3_000, max: 4 });
    const retries: unknown[] = [];
    const r = runner({ groupId, transactions: new PgTransactionRunner(proxiedPool), onRetry: (info) => retries.push(info.error) });
    try {
      const start = await topicEnd();
      await r.start();
      await send([listedMessage({ deviceId: 'dev-before-outage', version: 1n })]);
      await waitFor('consumed before the outage', async () => ((await offsetsSum(groupId)) >= start + 1 ? true : undefined), 30_000);
      await proxy.cut();
      await send(Array.from({ length: 10 }, (_, i) => listedMessage({ deviceId: `dev-outage-${i}`, version: 1n })));
      await waitFor('retries during the outage', () => (retries.length >= 3 ? true : undefined), 20_000);
      expect(await offsetsSum(groupId)).toBe(start + 1);
      await proxy.restore();
      await waitFor('all consumed after the outage', async () => ((await offsetsSum(groupId)) >= start + 11 ? true : undefined), 30_000);
      const applied = await kit.pool.query(`select count(*)::int as n from applied_events where device_id like 'dev-outage-%'`);
      expect(applied.rows[0].n).toBe(10);
      expect((await kit.pool.query(`select count(*)::int as n from dead_letters where consumer_group = $1`, [groupId])).rows[0].n).toBe(0);
    } finally {
      await stop(r);
      await proxiedPool.end();
      await proxy.cut();
    }
  });
});
