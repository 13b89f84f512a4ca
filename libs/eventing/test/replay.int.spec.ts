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

  it('rebuilds a table without its key into a bare heap, builds the key before the swap, and writes what the batches folded (ADR 0331)', async () => {
    const name = 'device_events';
    const counts = `${name}_counts`;
    const seen: Array<'live' | 'rebuild'> = [];
    const definition: ProjectionDefinition = {
      name,
      groupId: `${kit.ns.topicPrefix}${name}`,
      topics: [kit.inventoryTopic],
      tables: [
        // Append-only: a rebuild's inbox already dropped every duplicate, so no key is needed to load it.
        { name, columnsSql: 'event_id uuid not null, device_id text not null', primaryKey: ['event_id'], indexes: [['device_id']], deferIndexesOnRebuild: true },
        { name: counts, columnsSql: 'device_id text not null, n bigint not null', primaryKey: ['device_id'] },
      ],
      async apply(events, ctx) {
        seen.push(ctx.rebuild ? 'rebuild' : 'live');
        const folded = new Map<string, number>();
        for (const e of events) folded.set(e.metadata.aggregateId, (folded.get(e.metadata.aggregateId) ?? 0) + 1);
        await ctx.tx.query(`insert into ${ctx.table(name)} (event_id, device_id) select * from unnest($1::uuid[], $2::text[])`, [events.map((e) => e.metadata.eventId), events.map((e) => e.metadata.aggregateId)]);
        const rebuild = ctx.rebuild;
        if (rebuild) {
          // Folded in memory once the batch committed; written by completeRebuild.
          ctx.tx.afterCommit!(() => {
            const total = (rebuild.memory.get('counts') as Map<string, number> | undefined) ?? new Map<string, number>();
            for (const [device, n] of folded) total.set(device, (total.get(device) ?? 0) + n);
            rebuild.memory.set('counts', total);
          });
          return;
        }
        for (const [device, n] of folded) {
          await ctx.tx.query(`insert into ${ctx.table(counts)} (device_id, n) values ($1, $2) on conflict (device_id) do update set n = ${ctx.table(counts)}.n + excluded.n`, [device, n]);
        }
      },
      async completeRebuild(tx, { table, rebuild }) {
        // The key exists by now: the rebuilt rows are checked against it.
        const keys = await tx.query<{ n: number }>(`select count(*)::int as n from pg_index where indrelid = $1::regclass and indisprimary`, [table(name)]);
        expect(keys.rows[0].n).toBe(1);
        const total = (rebuild.memory.get('counts') as Map<string, number> | undefined) ?? new Map<string, number>();
        for (const [device, n] of total) await tx.query(`insert into ${table(counts)} (device_id, n) values ($1, $2) on conflict (device_id) do update set n = ${table(counts)}.n + excluded.n`, [device, n]);
        rebuild.memory.delete('counts');
      },
    };
    await manager.install(definition);
    const runner = manager.liveRunner(definition, { logger: memoryLogger() });
    live.push(runner);
    await runner.start();
    const endOffsets = await offsetsOf(ProjectionManager.scope('device_listing', 2));
    await waitFor('live caught up', async () => ((await offsetsOf(ProjectionManager.scope(name, 1))) >= endOffsets ? true : undefined), 30_000);
    const liveHash = await manager.stateHash(definition);

    const result = await manager.rebuild(definition);
    expect(result).toMatchObject({ generation: 2, hashVerified: true, liveStateHash: liveHash, rebuiltStateHash: liveHash });
    expect(seen).toContain('rebuild');
    // Every event once although each sits on the topic twice, and the key and index of a live generation.
    expect((await kit.pool.query<{ n: number }>(`select count(*)::int as n from ${name}`)).rows[0].n).toBe(61);
    const indexes = await kit.pool.query<{ indexname: string }>(`select indexname from pg_indexes where tablename = $1 order by indexname`, [`${name}__g2`]);
    expect(indexes.rows.map((r) => r.indexname)).toEqual([`${name}__g2__device_id`, `${name}__g2_pkey`]);
    const folded = await kit.pool.query<{ device_id: string; n: number }>(`select device_id, n::int from ${counts} order by device_id`);
    expect(folded.rows).toEqual([...Array.from({ length: 6 }, (_, i) => ({ device_id: `dev-${i}`, n: 10 })), { device_id: 'dev-new', n: 1 }]);
    // A late duplicate after the swap is dropped by the inbox the rebuild left (the key would refuse it too).
    const producer = await kit.producer();
    const scopeEnd = await offsetsOf(ProjectionManager.scope(name, 2));
    await producer.send({ topic: kit.inventoryTopic, acks: -1, messages: [originals[0]] });
    await waitFor('the late duplicate consumed', async () => ((await offsetsOf(ProjectionManager.scope(name, 2))) > scopeEnd ? true : undefined), 30_000);
    expect(await manager.stateHash(definition)).toBe(liveHash);
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
