import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ContractError, inventoryV1 } from '@ionet/contracts';
import { CommandHandler, EventStore, EventStoreConcurrencyError, UpcasterRegistry, causedByEvent, causedByRequest, defineAggregate, eventCodec } from '../src';
import { eventingTestKit, type EventingTestKit } from './support/eventing-test-kit';

jest.setTimeout(30_000);

type PriceEvent = { type: 'DevicePriceSet'; deviceId: string; amountBaseUnits: bigint; at: Date };
type PriceCommand = { type: 'SetPrice'; deviceId: string; amountBaseUnits: bigint; at: Date };
interface PriceState {
  changes: number;
  amountBaseUnits: bigint;
}

/** A small decider over a real contract: every command appends one price change. */
const priceAggregate = defineAggregate({
  streamType: 'device',
  decider: {
    initialState: { changes: 0, amountBaseUnits: 0n } as PriceState,
    decide: (command: PriceCommand): PriceEvent[] => [{ type: 'DevicePriceSet', deviceId: command.deviceId, amountBaseUnits: command.amountBaseUnits, at: command.at }],
    evolve: (state: PriceState, event: PriceEvent): PriceState => ({ changes: state.changes + 1, amountBaseUnits: event.amountBaseUnits }),
  },
  codec: eventCodec<PriceEvent>()({
    DevicePriceSet: {
      schema: inventoryV1.DevicePriceSetSchema,
      toWire: (e) => ({ deviceId: e.deviceId, supplierId: 'sup-1', askPricePerGpuHour: { amountBaseUnits: e.amountBaseUnits, asset: 'USDC' }, setAt: e.at }),
      fromWire: (w) => ({ type: 'DevicePriceSet', deviceId: w.deviceId, amountBaseUnits: w.askPricePerGpuHour!.amountBaseUnits, at: w.setAt! }),
    },
  }),
});

const at = new Date('2026-11-25T10:00:00Z');
const priceEvent = (deviceId: string, amountBaseUnits: bigint) => priceAggregate.codec.encode({ type: 'DevicePriceSet', deviceId, amountBaseUnits, at });
const setPrice = (deviceId: string, amountBaseUnits: bigint): PriceCommand => ({ type: 'SetPrice', deviceId, amountBaseUnits, at });

describe('CommandHandler (PostgreSQL)', () => {
  let kit: EventingTestKit;
  let store: EventStore;
  let handler: CommandHandler<PriceCommand, PriceState, PriceEvent>;

  beforeAll(async () => {
    kit = await eventingTestKit('command_handler');
    store = new EventStore({ pool: kit.pool, producer: 'inventory', commitNotify: false });
    handler = new CommandHandler(priceAggregate, { store });
  });
  afterAll(async () => kit.close());

  it('lands 12 concurrent commands to one stream by reloading and deciding again on a conflict', async () => {
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => handler.handle('dev-12', setPrice('dev-12', BigInt(1_000 + i)), causedByRequest(`req-${i}`))));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const versions = results.map((r) => (r as PromiseFulfilledResult<{ version: bigint }>).value.version).sort((a, b) => (a < b ? -1 : 1));
    expect(versions).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i + 1)));
    expect((await handler.load('dev-12')).state.changes).toBe(12);
  });

  it('surfaces the conflict once its attempts are spent (one attempt: the old behaviour)', async () => {
    const once = new CommandHandler(priceAggregate, { store, conflictAttemptsMax: 1 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => once.handle('dev-once', setPrice('dev-once', BigInt(1 + i)), causedByRequest(`r-${i}`))));
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost.length).toBeGreaterThan(0);
    for (const r of lost) expect(r.reason).toBeInstanceOf(EventStoreConcurrencyError);
  });

  it('records the triggering event as causation, derives event ids from it, and treats a replay of the cause as done', async () => {
    const trigger = { eventId: '0190b1f2-7c1e-7000-8000-00000000c0de', correlationId: 'flow-1' };
    const first = await handler.handle('dev-caused', setPrice('dev-caused', 5n), causedByEvent(trigger));
    expect(first).toMatchObject({ version: 1n, duplicate: false });
    await handler.handle('dev-caused', setPrice('dev-caused', 6n), causedByRequest('req-between'));
    const replay = await handler.handle('dev-caused', setPrice('dev-caused', 5n), causedByEvent(trigger));
    expect(replay).toMatchObject({ version: 1n, duplicate: true, events: first.events });
    const stream = await store.readStream('dev-caused');
    expect(stream).toHaveLength(2);
    expect(stream[0]!.metadata).toMatchObject({ causationId: trigger.eventId, correlationId: 'flow-1' });
    expect(stream[1]!.metadata).toMatchObject({ causationId: 'req-between', correlationId: 'req-between' });
    // The same cause in another process derives the same id: a concurrent run of it appends nothing.
    const other = new CommandHandler(priceAggregate, { store });
    expect((await other.handle('dev-caused', setPrice('dev-caused', 5n), causedByEvent(trigger))).duplicate).toBe(true);
  });

  it('retries a conflict inside a caller transaction from a savepoint, and commits or rolls back with it', async () => {
    await kit.pool.query('create table if not exists side_effects (id text primary key)');
    await handler.handle('dev-tx', setPrice('dev-tx', 1n), causedByRequest('seed'));
    let calls = 0;
    const result = await kit.transactions.transaction(async (tx) => {
      const outcome = await handler.handle(
        'dev-tx',
        async () => {
          calls++;
          // A concurrent writer commits between this load and the append, once.
          if (calls === 1) await store.append(undefined, { streamId: 'dev-tx', streamType: 'device', expectedVersion: 1n, events: [priceEvent('dev-tx', 2n)] });
          return setPrice('dev-tx', 3n);
        },
        causedByRequest('in-tx'),
        { tx },
      );
      await tx.query(`insert into side_effects values ('kept')`);
      return outcome;
    });
    expect(calls).toBe(2);
    expect(result.version).toBe(3n);
    expect((await kit.pool.query(`select 1 from side_effects where id = 'kept'`)).rowCount).toBe(1);
    expect((await handler.load('dev-tx')).state).toEqual({ changes: 3, amountBaseUnits: 3n });

    await expect(
      kit.transactions.transaction(async (tx) => {
        await handler.handle('dev-tx', setPrice('dev-tx', 4n), causedByRequest('rolled-back'), { tx });
        throw new Error('the caller fails after the append');
      }),
    ).rejects.toThrow('the caller fails');
    expect((await handler.load('dev-tx')).version).toBe(3n);
  });

  it('hands a conflict back at once when the caller transaction is older than the stream head (only a new transaction can append)', async () => {
    let calls = 0;
    await expect(
      kit.transactions.transaction(async (tx) => {
        await tx.query(`insert into side_effects values ('older-xid')`);
        return handler.handle(
          'dev-tx',
          async () => {
            calls++;
            if (calls === 1) await store.append(undefined, { streamId: 'dev-tx', streamType: 'device', expectedVersion: 3n, events: [priceEvent('dev-tx', 5n)] });
            return setPrice('dev-tx', 6n);
          },
          causedByRequest('old-tx'),
          { tx },
        );
      }),
    ).rejects.toMatchObject({ code: 'EVENT_STORE.VERSION_CONFLICT', transactionTooOld: true });
    expect(calls).toBe(2);
    expect((await kit.pool.query(`select 1 from side_effects where id = 'older-xid'`)).rowCount).toBe(0);
  });

  it('group commit: decides one command per stream and appends them all in one statement; a refusal is answered alone, a replayed cause appends nothing', async () => {
    const strict = new CommandHandler(
      defineAggregate({
        ...priceAggregate,
        decider: {
          ...priceAggregate.decider,
          decide: (command: PriceCommand, state: PriceState): PriceEvent[] => {
            if (command.amountBaseUnits < 0n) throw new RangeError('a price is never negative');
            return priceAggregate.decider.decide(command, state);
          },
        },
      }),
      { store },
    );
    await handler.handle('many-2', setPrice('many-2', 1n), causedByRequest('seed-many'));
    const replayed = { eventId: '0190b1f2-7c1e-7000-8000-00000000beef', correlationId: 'flow-many' };
    await handler.handle('many-4', setPrice('many-4', 40n), causedByEvent(replayed));
    const results = await kit.transactions.transaction((tx) =>
      strict.handleMany(
        [
          { streamId: 'many-1', command: setPrice('many-1', 10n), cause: causedByRequest('m-1') },
          { streamId: 'many-2', command: setPrice('many-2', 20n), cause: causedByRequest('m-2') },
          { streamId: 'many-3', command: setPrice('many-3', -1n), cause: causedByRequest('m-3') },
          { streamId: 'many-4', command: setPrice('many-4', 40n), cause: causedByEvent(replayed) },
        ],
        { tx },
      ),
    );
    expect(results[0]).toMatchObject({ streamId: 'many-1', version: 1n, duplicate: false, state: { changes: 1, amountBaseUnits: 10n } });
    expect(results[1]).toMatchObject({ streamId: 'many-2', version: 2n, duplicate: false, state: { changes: 2, amountBaseUnits: 20n } });
    expect((results[2] as { error: unknown }).error).toBeInstanceOf(RangeError);
    expect(results[3]).toMatchObject({ streamId: 'many-4', version: 1n, duplicate: true });
    expect(await store.readStream('many-3')).toEqual([]);
    expect((await store.readStream('many-4')).length).toBe(1);
    const stored = [...(await store.readStream('many-1')), ...(await store.readStream('many-2'))];
    // One statement in one transaction: the same transaction id, consecutive positions.
    const appended = stored.filter((e) => e.metadata.causationId !== 'seed-many');
    expect(new Set(appended.map((e) => e.transactionId)).size).toBe(1);
    expect(appended.map((e) => e.metadata.causationId).sort()).toEqual(['m-1', 'm-2']);
    expect((await handler.loadMany(['many-1', 'many-2', 'many-none'])).get('many-none')).toMatchObject({ version: 0n, state: { changes: 0 } });
  });

  it('group commit is all or nothing: a stream another writer moved fails the whole append and its transaction', async () => {
    await handler.handle('race-a', setPrice('race-a', 1n), causedByRequest('race-seed'));
    await expect(
      kit.transactions.transaction(async (tx) => {
        const loaded = await handler.loadMany(['race-a', 'race-b'], tx);
        await store.append(undefined, { streamId: 'race-a', streamType: 'device', expectedVersion: 1n, events: [priceEvent('race-a', 2n)] });
        return handler.handleMany(
          [
            { streamId: 'race-a', command: setPrice('race-a', 3n), cause: causedByRequest('race-1') },
            { streamId: 'race-b', command: setPrice('race-b', 3n), cause: causedByRequest('race-2') },
          ],
          { tx, loaded },
        );
      }),
    ).rejects.toBeInstanceOf(EventStoreConcurrencyError);
    expect(await store.readStream('race-b')).toEqual([]);
    expect((await handler.load('race-a')).state).toEqual({ changes: 2, amountBaseUnits: 2n });
  });

  it('loads old event versions through the upcasters, and refuses a version it cannot upcast', async () => {
    await handler.handle('dev-old', setPrice('dev-old', 7n), causedByRequest('old'));
    // Pretend the stored event was written by schema version 0, whose amounts were in thousands.
    await kit.pool.query(`update events set schema_version = 0 where stream_id = 'dev-old'`);
    await expect(handler.load('dev-old')).rejects.toThrow(ContractError);
    const upcasters = new UpcasterRegistry().register({
      eventType: 'ionet.inventory.v1.DevicePriceSet',
      fromSchemaVersion: 0,
      upcast: (raw) => {
        const old = fromBinary(inventoryV1.DevicePriceSetSchema, raw.payload);
        const amount = BigInt(old.askPricePerGpuHour!.amountBaseUnits) * 1_000n;
        const lifted = create(inventoryV1.DevicePriceSetSchema, { ...old, askPricePerGpuHour: { ...old.askPricePerGpuHour!, amountBaseUnits: amount.toString() } });
        return { eventType: raw.eventType, schemaVersion: 1, payload: toBinary(inventoryV1.DevicePriceSetSchema, lifted) };
      },
    });
    const upcasting = new CommandHandler(priceAggregate, { store, upcasters });
    expect((await upcasting.load('dev-old')).state.amountBaseUnits).toBe(7_000n);
    const next = await upcasting.handle('dev-old', setPrice('dev-old', 8n), causedByRequest('after-upcast'));
    expect(next.state).toEqual({ changes: 2, amountBaseUnits: 8n });
  });
});
