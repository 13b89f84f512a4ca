import { waitFor } from '@ionet/testing';
import { ProjectionManager, tableStateHash, type ConsumerRunner, type ProjectionDefinition, type RebuildProgress } from '../src';
import { eventingTestKit, listedMessage, memoryLogger, type EventingTestKit } from './support/eventing-test-kit';

jest.setTimeout(90_000);

function deviceListing(kit: EventingTestKit, name: string, versionBonus: (generation: number) => number = () => 0): ProjectionDefinition {
  return {
    name,
    groupId: `${kit.ns.topicPrefix}${name}`,
    topics: [kit.inventoryTopic],
    tables: [{ name, columnsSql: 'device_id text not null, version bigint not null, events_seen bigint not null', primaryKey: ['device_id'] }],
    async apply(events, ctx) {
      for (const e of events) {
        await ctx.tx.query(
          `insert into ${ctx.table(name)} (device_id, version, events_seen) values ($1, $2, 1)
           on conflict (device_id) do update set version = greatest(${ctx.table(name)}.version, excluded.version), events_seen = ${ctx.table(name)}.events_seen + 1`,
          [e.metadata.aggregateId, (e.metadata.aggregateVersion + BigInt(versionBonus(ctx.generation))).toString()],
        );
      }
    },
  };
}

describe('projection replay (blue/green)', () => {
  let kit: EventingTestKit;
  let manager: ProjectionManager;
  const live: ConsumerRunner[] = [];
  let originals: ReturnType<typeof listedMessage>[] = [];
  const offsetsOf = async (scope: string) =>
    Number((await kit.pool.query<{ n: string }>(`select coalesce(sum(next_offset), 0) as n from consumer_offsets where group_id = $1`, [scope])).rows[0].n);

  beforeAll(async () => {
    kit = await eventingTestKit('replay', 3);
    manager = new ProjectionManager({ kafka: kit.kafka, transactions: kit.transactions, deadLetterTopic: kit.dlqTopic, logger: memoryLogger() });
    originals = Array.from({ length: 60 }, (_, i) => listedMessage({ deviceId: `dev-${i % 6}`, version: BigInt(Math.floor(i / 6) + 1) }));
    const producer = await kit.producer();
    // Out of order and every event twice.
    await producer.send({ topic: kit.inventoryTopic, acks: -1, messages: [...[...originals].reverse(), ...originals] });
  });
  afterAll(async () => {
    for (const r of live) await r.stop();
    await kit.close();
  });

  it('rebuilds from offset 0 beside the live projection, proves the same state hash, swaps, and keeps serving', async () => {
    const definition = deviceListing(kit, 'device_listing');
    expect(await manager.install(definition)).toBe(1);
    const runner = manager.liveRunner(definition, { logger: memoryLogger() });
    live.push(runner);
    await runner.start();
    await waitFor('live projection caught up', async () => ((await offsetsOf(ProjectionManager.scope('device_listing', 1))) >= 120 ? true : undefined), 30_000);
    const liveHash = await manager.stateHash(definition);
    const rows = await kit.pool.query(`select device_id, version::int, events_seen::int from device_listing order by device_id`);
    expect(rows.rows).toEqual(Array.from({ length: 6 }, (_, i) => ({ device_id: `dev-${i}`, version: 10, events_seen: 10 })));

    const progress: RebuildProgress[] = [];
    const result = await manager.rebuild(definition, { onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ generation: 2, hashVerified: true, liveStateHash: liveHash, rebuiltStateHash: liveHash, eventsApplied: 60 });
    expect(progress[progress.length - 1].partitions.every((p) => p.lag === 0n)).toBe(true);
    expect(await manager.currentGeneration(definition)).toBe(2);
    expect((await kit.pool.query(`select to_regclass('device_listing__g1') as t`)).rows[0].t).toBeNull();
    expect(await manager.stateHash(definition)).toBe(liveHash);

    // The live consumer now writes into generation 2 through the same view.
    const producer = await kit.producer();
    await producer.send({ topic: kit.inventoryTopic, acks: -1, messages: [listedMessage({ deviceId: 'dev-new', version: 1n })] });
    await waitFor('new event in the swapped projection', async () => ((await kit.pool.query(`select 1 from device_listing where device_id = 'dev-new'`)).rowCount ? true : undefined), 30_000);
    expect((await tableStateHash(kit.pool, 'device_listing__g2', ['device_id'])).rowCount).toBe(7);

    // The rebuild deduplicated in memory; the ids it applied were copied to generation 2's inbox
    // before the swap, so the live consumer drops a late duplicate of one of them.
    const inbox = await kit.pool.query<{ n: number }>(`select count(*)::int as n from consumer_processed_events where group_id = $1`, [ProjectionManager.scope('device_listing', 2)]);
    expect(inbox.rows[0].n).toBe(61);
    const hashBefore = await manager.stateHash(definition);
    const scopeEnd = await offsetsOf(ProjectionManager.scope('device_listing', 2));
    await producer.send({ topic: kit.inventoryTopic, acks: -1, messages: [originals[59]] });
    await waitFor('the late duplicate consumed', async () => ((await offsetsOf(ProjectionManager.scope('device_listing', 2))) > scopeEnd ? true : undefined), 30_000);
    expect(await manager.stateHash(definition)).toBe(hashBefore);
  });

  it('refuses to swap in a rebuild whose state differs from the live one', async () => {
    // A projection that is not a pure function of its events (it depends on the generation).
    const definition = deviceListing(kit, 'drifting_listing', (generation) => generation);
    await manager.install(definition);
    const runner = manager.liveRunner(definition, { logger: memoryLogger() });
    live.push(runner);
    await runner.start();
    const endOffsets = await offsetsOf(ProjectionManager.scope('device_listing', 2));
    await waitFor('live caught up', async () => ((await offsetsOf(ProjectionManager.scope('drifting_listing', 1))) >= endOffsets ? true : undefined), 30_000);
    await expect(manager.rebuild(definition)).rejects.toMatchObject({ code: 'PROJECTION.STATE_HASH_MISMATCH' });
    expect(await manager.currentGeneration(definition)).toBe(1);
  });
});
