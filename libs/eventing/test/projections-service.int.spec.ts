import { inventoryV1 } from '@ionet/contracts';
import { waitFor } from '@ionet/testing';
import { DeadLetterService, ProjectionManager, ProjectionsService, on, type ProjectionSpec } from '../src';
import { eventingTestKit, listedMessage, listingsV1, memoryLogger, type EventingTestKit } from './support/eventing-test-kit';

jest.setTimeout(90_000);

/** Version 1 (the kit's `listingsV1`) keeps which devices are listed; version 2 adds when (a new column): a new shape. */
const listingsV2: ProjectionSpec = {
  ...listingsV1,
  version: 2,
  tables: [{ name: 'listings', columnsSql: 'device_id text not null, listed_at timestamptz not null', primaryKey: ['device_id'] }],
  handlers: [
    on(inventoryV1.DeviceListedSchema, async (e, _metadata, ctx) => {
      await ctx.tx.query(`insert into ${ctx.table('listings')} (device_id, listed_at) values ($1, $2) on conflict do nothing`, [e.deviceId, e.listedAt]);
    }),
  ],
};

describe('ProjectionsService: a projection whose version rises is rebuilt, not kept under its old shape', () => {
  let kit: EventingTestKit;
  const services: ProjectionsService[] = [];

  const service = (spec: ProjectionSpec) => {
    const manager = new ProjectionManager({ kafka: kit.kafka, transactions: kit.transactions, deadLetterTopic: kit.dlqTopic, logger: memoryLogger() });
    const s = new ProjectionsService({ specs: [spec], topicPrefix: kit.ns.topicPrefix, manager, pool: kit.pool, runLive: true, deadLetters: new DeadLetterService(kit.pool), logger: memoryLogger() });
    services.push(s);
    return s;
  };
  const send = async (...deviceIds: string[]) => {
    const producer = await kit.producer();
    await producer.send({ topic: kit.inventoryTopic, acks: -1, messages: deviceIds.map((deviceId) => listedMessage({ deviceId, version: 1n, listedAtMs: Date.UTC(2026, 10, 25) })) });
  };
  const rows = async () => (await kit.pool.query<{ device_id: string; listed_at?: Date }>('select * from listings order by device_id')).rows;

  beforeAll(async () => {
    kit = await eventingTestKit('projections_service', 1);
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await kit.close();
  });

  it('runs version 1 live, then rebuilds into version 2 at start and serves the new shape live', async () => {
    await send('dev-1', 'dev-2');
    const v1 = service(listingsV1);
    await v1.start();
    await waitFor('version 1 applied both', async () => ((await rows()).length === 2 ? true : undefined), 30_000);
    expect(await v1.status('listings')).toMatchObject({ version: 1, declaredVersion: 1, generation: 1, live: true });
    await v1.stop();

    const v2 = service(listingsV2);
    await v2.start();
    // Until its rebuild swaps in, version 2 runs no live consumer on version 1's tables.
    const rebuilt = await waitFor('version 2 swapped in', async () => {
      const status = await v2.status('listings');
      return status.version === 2 && status.live && status.rebuild.state !== 'running' ? status : undefined;
    }, 60_000);
    expect(rebuilt).toMatchObject({ declaredVersion: 2, generation: 2, rebuild: { state: 'succeeded', generation: 2 } });
    expect((await rows()).map((r) => [r.device_id, r.listed_at?.toISOString()])).toEqual([
      ['dev-1', '2026-11-25T00:00:00.000Z'],
      ['dev-2', '2026-11-25T00:00:00.000Z'],
    ]);
    await send('dev-3');
    await waitFor('the live consumer of version 2', async () => ((await rows()).length === 3 ? true : undefined), 30_000);
    // The old generation's tables are gone.
    expect((await kit.pool.query(`select 1 from information_schema.tables where table_schema = current_schema() and table_name = 'listings__g1'`)).rowCount).toBe(0);
  });
});
