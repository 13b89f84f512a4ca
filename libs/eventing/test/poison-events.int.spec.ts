import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { inventoryV1 } from '@ionet/contracts';
import { createTestTopics, waitFor } from '@ionet/testing';
import { ConsumerRunner, consumersHealthCheck, type BatchHandler, type EventingMetrics } from '../src';
import { eventingTestKit, listedMessage, memoryLogger, type EventingTestKit } from './support/eventing-test-kit';

jest.setTimeout(60_000);

/** A projection column narrower than the contract's field: `listed_at_ms int` holds any sane
 *  listing time in this test, but not one in the year 2065 (as `cpu_cores int` could not hold
 *  3,000,000,000 cores). */
const DDL = `create table if not exists listings (device_id text primary key, tenant text not null, listed_at_ms int not null)`;

const applyListings: BatchHandler = async (events, ctx) => {
  for (const e of events) {
    const listed = e.event as inventoryV1.DeviceListed;
    await ctx.tx.query(`insert into listings (device_id, tenant, listed_at_ms) values ($1, $2, $3) on conflict do nothing`, [
      listed.deviceId,
      listed.deviceId.split('-')[0],
      Number(timestampMs(listed.listedAt!)),
    ]);
  }
};

describe('poison events (a repeatable data error) are dead-lettered; faults are retried', () => {
  let kit: EventingTestKit;
  let topic: string;
  const runners: ConsumerRunner[] = [];
  const retries: Array<{ partition: number; attempts: number }> = [];
  const metrics: EventingMetrics = {
    appended: () => undefined,
    published: () => undefined,
    consumed: () => undefined,
    batchDuration: () => undefined,
    lag: () => undefined,
    batchRetries: (_group, _topic, partition, attempts) => retries.push({ partition, attempts }),
  };

  const runner = (groupId: string, handleBatch: BatchHandler) => {
    const r = new ConsumerRunner({
      kafka: kit.kafka,
      topics: [topic],
      groupId,
      transactions: kit.transactions,
      deadLetterTopic: kit.dlqTopic,
      handleBatch,
      metrics,
      backoff: { initialDelayMs: 50, delayMsMax: 200, jitterRatio: 0 },
      logger: memoryLogger(),
    });
    runners.push(r);
    return r;
  };

  beforeAll(async () => {
    kit = await eventingTestKit('poison_events', 1);
    await kit.pool.query(DDL);
  });
  beforeEach(async () => {
    topic = `${kit.ns.topicPrefix}poison${runners.length}.ionet.inventory.v1`;
    await createTestTopics([{ topic, numPartitions: 1 }]);
    await kit.pool.query('truncate listings');
  });
  afterAll(async () => {
    for (const r of runners) await r.stop();
    await kit.close();
  });

  const send = async (messages: ReturnType<typeof listedMessage>[]) => {
    const producer = await kit.producer();
    // One key: one partition, the poison sits between other tenants' events.
    await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, key: 'one-partition' })) });
  };

  it('dead-letters an event whose value overflows a projection column, and the partition moves on for every tenant', async () => {
    const poison = listedMessage({ deviceId: 'evil-1', version: 1n, listedAtMs: Date.UTC(2065, 0, 1) });
    await send([
      listedMessage({ deviceId: 'alpha-1', version: 1n, listedAtMs: 1_000 }),
      poison,
      listedMessage({ deviceId: 'beta-1', version: 1n, listedAtMs: 2_000 }),
      listedMessage({ deviceId: 'gamma-1', version: 1n, listedAtMs: 3_000 }),
    ]);
    const groupId = `${kit.ns.topicPrefix}poison-a`;
    await runner(groupId, applyListings).start();
    const applied = await waitFor('the other tenants applied', async () => {
      const { rows } = await kit.pool.query<{ device_id: string }>('select device_id from listings order by device_id');
      return rows.length === 3 ? rows.map((r) => r.device_id) : undefined;
    });
    expect(applied).toEqual(['alpha-1', 'beta-1', 'gamma-1']);
    const letters = await waitFor('the dead letter', async () => {
      const { rows } = await kit.pool.query<{ event_id: string; error_code: string }>('select event_id, error_code from dead_letters where consumer_group = $1', [groupId]);
      return rows.length ? rows : undefined;
    });
    expect(letters).toEqual([{ event_id: poison.eventId, error_code: 'DATA.SQLSTATE_22003' }]);
    // And a later event of the poison's own tenant still flows.
    await send([listedMessage({ deviceId: 'evil-2', version: 1n, listedAtMs: 4_000 })]);
    await waitFor('a later event after the poison', async () => ((await kit.pool.query(`select 1 from listings where device_id = 'evil-2'`)).rowCount ? true : undefined));
  });

  it('retries a fault instead (nothing dead-lettered), and shows the retrying batch until it commits', async () => {
    await send([listedMessage({ deviceId: 'delta-1', version: 1n, listedAtMs: 5_000 })]);
    const groupId = `${kit.ns.topicPrefix}fault-b`;
    let failures = 0;
    let release = false;
    const r = runner(groupId, async (events, ctx) => {
      if (!release) {
        failures++;
        throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
      }
      await applyListings(events, ctx);
    });
    await r.start();
    const stuck = await waitFor('the batch retrying', () => (r.retryingBatches()[0]?.attempts ?? 0) >= 2 ? r.retryingBatches() : undefined);
    expect(stuck[0]).toMatchObject({ groupId, topic, partition: 0, lastError: expect.stringContaining('administrator command') });
    expect(retries.some((x) => x.attempts >= 2)).toBe(true);
    // Readiness: down once a batch has retried past the threshold (here: at once), naming it.
    await expect(consumersHealthCheck(() => [r], 0).probe()).rejects.toThrow(/1 batch\(es\) stuck.*administrator command/);
    await expect(consumersHealthCheck(() => [r], 3_600_000).probe()).resolves.toBeUndefined();
    release = true;
    await waitFor('the batch applied after the fault cleared', async () => ((await kit.pool.query(`select 1 from listings where device_id = 'delta-1'`)).rowCount ? true : undefined));
    expect(failures).toBeGreaterThanOrEqual(2);
    await waitFor('no batch retrying', () => (r.retryingBatches().length === 0 ? true : undefined));
    await expect(consumersHealthCheck(() => [r], 0).probe()).resolves.toBeUndefined();
    expect(retries[retries.length - 1]).toMatchObject({ attempts: 0 });
    expect((await kit.pool.query('select 1 from dead_letters where consumer_group = $1', [groupId])).rowCount).toBe(0);
  });
});
