import { Client } from 'pg';
import { testConnections } from '@ionet/testing';
import { EventStore, EventStoreConcurrencyError, GLOBAL_CURSOR_START, PgTransactionRunner } from '../src';
import { deviceListed, eventingTestKit, type EventingTestKit } from './support/eventing-test-kit';

jest.setTimeout(30_000);

describe('EventStore (PostgreSQL)', () => {
  let kit: EventingTestKit;
  let store: EventStore;

  beforeAll(async () => {
    kit = await eventingTestKit('event_store');
    store = new EventStore({ pool: kit.pool, producer: 'inventory' });
  });
  afterAll(async () => kit.close());

  it('appends with an expected version and reads the stream back in order', async () => {
    const first = await store.append(undefined, { streamId: 'dev-a', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-a'), deviceListed('dev-a')] });
    expect(first.nextExpectedVersion).toBe(2n);
    await store.append(undefined, { streamId: 'dev-a', streamType: 'device', expectedVersion: 2n, events: [deviceListed('dev-a')] });
    const stream = await store.readStream('dev-a');
    expect(stream.map((e) => e.metadata.aggregateVersion)).toEqual([1n, 2n, 3n]);
    expect(stream[0].metadata).toMatchObject({ producer: 'inventory', aggregateType: 'device', eventType: 'ionet.inventory.v1.DeviceListed' });
    await expect(store.append(undefined, { streamId: 'dev-a', streamType: 'device', expectedVersion: 1n, events: [deviceListed('dev-a')] })).rejects.toMatchObject({
      code: 'EVENT_STORE.VERSION_CONFLICT',
      actualVersion: 3n,
    });
  });

  it('lets exactly one of many concurrent appends to one stream win', async () => {
    await store.append(undefined, { streamId: 'dev-race', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-race')] });
    const contenders = 8;
    const results = await Promise.allSettled(
      Array.from({ length: contenders }, () => store.append(undefined, { streamId: 'dev-race', streamType: 'device', expectedVersion: 1n, events: [deviceListed('dev-race')] })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(contenders - 1);
    for (const r of lost) expect(r.reason).toBeInstanceOf(EventStoreConcurrencyError);
    expect((await store.readStream('dev-race')).map((e) => e.metadata.aggregateVersion)).toEqual([1n, 2n]);
  });

  it('commits events with the caller state change in one transaction, or neither', async () => {
    await kit.pool.query('create table if not exists devices (device_id text primary key)');
    const client = await kit.pool.connect();
    try {
      await client.query('begin');
      await client.query(`insert into devices values ('dev-tx')`);
      await store.append(client, { streamId: 'dev-tx', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-tx')] });
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await store.readStream('dev-tx')).toHaveLength(0);
    expect((await kit.pool.query(`select 1 from devices where device_id = 'dev-tx'`)).rowCount).toBe(0);
  });

  it('PgTransactionRunner fails a transaction that PostgreSQL rolled back at COMMIT (an error swallowed in it) and skips afterCommit', async () => {
    const woken: number[] = [];
    const off = store.onCommitted(() => woken.push(1));
    try {
      const outcome = new PgTransactionRunner(kit.pool).transaction(async (tx) => {
        await store.append(tx, { streamId: 'dev-aborted', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-aborted')] });
        // A caller that catches a failed statement leaves the transaction aborted: COMMIT answers ROLLBACK.
        await tx.query('select 1/0').catch(() => undefined);
        return 'done';
      });
      await expect(outcome).rejects.toMatchObject({ code: 'TRANSACTION.ROLLED_BACK' });
    } finally {
      off();
    }
    expect(woken).toHaveLength(0);
    expect(await store.readStream('dev-aborted')).toHaveLength(0);
  });

  it('hides events of a transaction still open from the global read, then shows them in order', async () => {
    const before = await store.readAll(GLOBAL_CURSOR_START, 10_000);
    const cursor = { transactionId: before[before.length - 1].transactionId, position: before[before.length - 1].position };
    const slow = new Client(kit.poolConfig);
    await slow.connect();
    try {
      await slow.query('begin');
      await store.append(slow, { streamId: 'dev-slow', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-slow')] });
      await store.append(undefined, { streamId: 'dev-fast', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-fast')] });
      // The later transaction committed, but an older one is open: nothing past it is visible yet.
      expect(await store.readAll(cursor)).toHaveLength(0);
      await slow.query('commit');
    } finally {
      await slow.end();
    }
    const after = await store.readAll(cursor);
    expect(after.map((e) => e.metadata.aggregateId)).toEqual(['dev-slow', 'dev-fast']);
  });

  it('reads past a transaction open in another database of the cluster; inside a caller\'s transaction the horizon stays cluster-wide (ADR 0221)', async () => {
    const before = await store.readAll(GLOBAL_CURSOR_START, 10_000);
    const cursor = { transactionId: before[before.length - 1].transactionId, position: before[before.length - 1].position };
    // Transaction ids are cluster-wide: this one is older than the append below.
    const elsewhere = new Client({ connectionString: testConnections().postgresAdminUrl });
    await elsewhere.connect();
    try {
      await elsewhere.query('begin');
      await elsewhere.query('select pg_current_xact_id()');
      await store.append(undefined, { streamId: 'dev-elsewhere', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-elsewhere')] });
      expect((await store.readAll(cursor)).map((e) => e.metadata.aggregateId)).toEqual(['dev-elsewhere']);
      // Inside a caller's transaction the horizon stays cluster-wide: the other database's
      // transaction holds the read back.
      const inTx = await new PgTransactionRunner(kit.pool).transaction((tx) => store.readAll(cursor, 1_000, tx));
      expect(inTx).toEqual([]);
    } finally {
      await elsewhere.query('rollback').catch(() => undefined);
      await elsewhere.end();
    }
  });

  it('refuses an append from a transaction older than the stream head, so global order keeps stream order', async () => {
    await store.append(undefined, { streamId: 'dev-order', streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed('dev-order')] });
    const older = new Client(kit.poolConfig);
    await older.connect();
    try {
      await older.query('begin');
      await older.query('select pg_current_xact_id()');
      // A newer transaction appends version 2 and commits while the older one is open.
      await store.append(undefined, { streamId: 'dev-order', streamType: 'device', expectedVersion: 1n, events: [deviceListed('dev-order')] });
      await expect(store.append(older, { streamId: 'dev-order', streamType: 'device', expectedVersion: 2n, events: [deviceListed('dev-order')] })).rejects.toMatchObject({
        code: 'EVENT_STORE.VERSION_CONFLICT',
      });
      await older.query('rollback');
    } finally {
      await older.end();
    }
    // Retried in a new transaction, it succeeds.
    await store.append(undefined, { streamId: 'dev-order', streamType: 'device', expectedVersion: 2n, events: [deviceListed('dev-order')] });
    const all = (await store.readAll(GLOBAL_CURSOR_START, 10_000)).filter((e) => e.metadata.aggregateId === 'dev-order');
    expect(all.map((e) => e.metadata.aggregateVersion)).toEqual([1n, 2n, 3n]);
  });

  it('refuses an event that breaks its contract before writing it', async () => {
    await expect(store.append(undefined, { streamId: 'dev-bad', streamType: 'device', expectedVersion: 'no_stream', events: [{ ...deviceListed('dev-bad'), data: { deviceId: 'dev-bad', supplierId: 's' } }] })).rejects.toMatchObject({
      code: 'CONTRACT.MISSING_FIELD',
    });
  });
});
