import { waitFor } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { DeadLetterService, ProjectionChanges, ProjectionManager, ProjectionsService } from '../src';
import { eventingTestKit, listedMessage, listingsV1, memoryLogger, type EventingTestKit } from './support/eventing-test-kit';

jest.setTimeout(120_000);

/** The change epoch behind cached reads (ADR 0315): it must move for every way a projection's rows
 *  change, in the process that applied the change and in a replica that only reads. */
describe('projection change epochs', () => {
  let kit: EventingTestKit;
  const services: ProjectionsService[] = [];

  const service = (runLive: boolean) => {
    const manager = new ProjectionManager({ kafka: kit.kafka, transactions: kit.transactions, deadLetterTopic: kit.dlqTopic, logger: memoryLogger() });
    const s = new ProjectionsService({
      specs: [listingsV1],
      topicPrefix: kit.ns.topicPrefix,
      manager,
      pool: kit.pool,
      runLive,
      deadLetters: new DeadLetterService(kit.pool),
      logger: memoryLogger(),
      changes: { pollIntervalMs: 50, maxStalenessMs: 2_000 },
    });
    services.push(s);
    return s;
  };
  const send = async (deviceId: string) => {
    const producer = await kit.producer();
    await producer.send({ topic: kit.inventoryTopic, acks: -1, messages: [listedMessage({ deviceId, version: 1n, listedAtMs: Date.UTC(2026, 10, 25) })] });
  };
  const listed = async (deviceId: string) => ((await kit.pool.query('select 1 from listings where device_id = $1', [deviceId])).rowCount === 1 ? true : undefined);
  const moved = (epoch: () => number | undefined, from: number) => async () => {
    const now = epoch();
    return now !== undefined && now > from ? now : undefined;
  };

  beforeAll(async () => {
    kit = await eventingTestKit('projection_changes', 2);
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await kit.close();
  });

  it('moves for a live batch, a rebuild swap and a redrive, in the applying process and in a reading replica', async () => {
    const consumer = service(true);
    const reader = service(false);
    await consumer.start();
    await reader.start();
    const local = consumer.changeEpoch('listings');
    const remote = reader.changeEpoch('listings');
    let seenLocal = await waitFor('the consumer knows its epoch', async () => local(), 30_000);
    let seenRemote = await waitFor('the reader knows its epoch', async () => remote(), 30_000);

    // A live batch.
    await send('dev-1');
    await waitFor('dev-1 applied', () => listed('dev-1'), 30_000);
    seenLocal = await waitFor('the consumer saw its batch', moved(local, seenLocal), 30_000);
    seenRemote = await waitFor('the reader saw the batch', moved(remote, seenRemote), 30_000);

    // A blue/green rebuild: the views move to a new generation.
    await consumer.rebuild('listings');
    await waitFor('the rebuild swapped', async () => ((await consumer.status('listings')).generation === 2 ? true : undefined), 60_000);
    seenLocal = await waitFor('the consumer saw its swap', moved(local, seenLocal), 30_000);
    seenRemote = await waitFor('the reader saw the swap', moved(remote, seenRemote), 30_000);

    // A redrive applies an event without moving an offset: it is counted by its dead letter.
    await kit.pool.query(
      `insert into dead_letters (id, consumer_group, source_topic, source_partition, source_offset, error_code, error_message, redriven_at)
       values ($1, $2, $3, 0, 999999, 'SPEC', 'spec', now())`,
      [randomUUID(), `${kit.ns.topicPrefix}spec.listings`, kit.inventoryTopic],
    );
    await waitFor('the reader saw the redrive', moved(remote, seenRemote), 30_000);
    await waitFor('the consumer saw the redrive', moved(local, seenLocal), 30_000);
  });

  it('gives no epoch once its versions have not been read for longer than the staleness bound', async () => {
    const changes = new ProjectionChanges(kit.pool, memoryLogger(), { pollIntervalMs: 20, maxStalenessMs: 200 });
    changes.watch('listings', `${kit.ns.topicPrefix}spec.listings`);
    await waitFor('an epoch', async () => (changes.epoch('listings') === undefined ? undefined : true), 30_000);
    expect(changes.epoch('unwatched')).toBeUndefined();
    changes.stop();
    // Nothing reads the versions any more: a cache may not trust what it holds.
    await waitFor('no epoch past the bound', async () => (changes.epoch('listings') === undefined ? true : undefined), 30_000);
  });
});
