import 'reflect-metadata';
import { Controller, Injectable, Module, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { inventoryV1 } from '@ionet/contracts';
import { waitFor } from '@ionet/testing';
import { ContractViolation, EventingModule, EventStore, KafkaBatchTransport, EventHandlers, type EventMessage } from '../src';
import { deviceListed, eventingTestKit, memoryLogger, type EventingTestKit } from './support/eventing-test-kit';

jest.setTimeout(60_000);

const rejects = { poison: true };

@Controller()
@EventHandlers()
class DeviceListedHandler {
  @EventPattern('ionet.inventory.v1.DeviceListed')
  async onListed(@Payload() message: EventMessage<inventoryV1.DeviceListed>): Promise<void> {
    if (message.event.deviceId === 'dev-poison' && rejects.poison) throw new ContractViolation('device not registered here', 'TEST.NO_DEVICE');
    // dev-overflow carries a version its column cannot hold: a repeatable data error (SQLSTATE 22003).
    const version = message.event.deviceId === 'dev-overflow' ? '9'.repeat(30) : message.metadata.aggregateVersion.toString();
    await message.tx.query(`insert into listed_devices (device_id, version) values ($1, $2)`, [message.event.deviceId, version]);
  }
}

@Injectable()
class HeaderOpsGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-test-ops'] === 'yes';
  }
}

describe('Nest wiring: EventingModule, KafkaBatchTransport and the dead-letter ops API', () => {
  let kit: EventingTestKit;
  let app: INestApplication;
  let http: FastifyInstance;

  beforeAll(async () => {
    kit = await eventingTestKit('nest_transport');
    await kit.pool.query('create table listed_devices (device_id text not null, version bigint not null)');
    @Module({
      imports: [
        EventingModule.forRootAsync({
          opsGuard: HeaderOpsGuard,
          useFactory: () => ({
            pool: kit.pool,
            connection: kit.poolConfig,
            kafka: kit.kafka,
            producer: 'inventory',
            topicPrefix: kit.ns.topicPrefix,
            relay: { pollIntervalMs: 200, logger: memoryLogger() },
            consumer: { groupId: `${kit.ns.topicPrefix}inventory-listing`, contexts: ['inventory'], logger: memoryLogger() },
          }),
        }),
      ],
      controllers: [DeviceListedHandler],
    })
    class TestAppModule {}
    app = await NestFactory.create(TestAppModule, new FastifyAdapter(), { logger: false });
    app.connectMicroservice({ strategy: app.get(KafkaBatchTransport) });
    await app.startAllMicroservices();
    await app.init();
    http = app.getHttpAdapter().getInstance() as FastifyInstance;
    await http.ready();
  });
  afterAll(async () => {
    await app.close();
    await kit.close();
  });

  it('delivers appended events to @EventPattern handlers, dead-letters a ContractViolation, lists it and re-drives it', async () => {
    const store = app.get(EventStore);
    for (const id of ['dev-1', 'dev-poison', 'dev-2']) {
      await store.append(undefined, { streamId: id, streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed(id)] });
    }
    await waitFor('dev-1 and dev-2 applied', async () => ((await kit.pool.query(`select 1 from listed_devices`)).rowCount === 2 ? true : undefined), 30_000);

    expect((await http.inject({ method: 'GET', url: '/v1/ops/dead-letters' })).statusCode).toBe(403);
    const listed = await http.inject({ method: 'GET', url: '/v1/ops/dead-letters?limit=10', headers: { 'x-test-ops': 'yes' } });
    expect(listed.statusCode).toBe(200);
    const page = listed.json() as { items: Array<{ id: string; errorCode: string; eventType: string }>; nextCursor: string | null };
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ errorCode: 'TEST.NO_DEVICE', eventType: 'ionet.inventory.v1.DeviceListed' });
    expect(page.nextCursor).toBeNull();

    const failed = await http.inject({ method: 'POST', url: `/v1/ops/dead-letters/${page.items[0].id}/redrive`, headers: { 'x-test-ops': 'yes' } });
    expect(failed.statusCode).toBe(409);
    rejects.poison = false;
    const redriven = await http.inject({ method: 'POST', url: `/v1/ops/dead-letters/${page.items[0].id}/redrive`, headers: { 'x-test-ops': 'yes' } });
    expect(redriven.statusCode).toBe(200);
    expect(redriven.json()).toMatchObject({ outcome: 'applied', deadLetter: { redriveAttempts: 2 } });
    expect((await kit.pool.query(`select device_id from listed_devices order by device_id`)).rows.map((r) => r.device_id)).toEqual(['dev-1', 'dev-2', 'dev-poison']);
    const missing = await http.inject({ method: 'POST', url: `/v1/ops/dead-letters/00000000-0000-8000-8000-000000000000/redrive`, headers: { 'x-test-ops': 'yes' } });
    expect(missing.statusCode).toBe(404);
  });

  it('dead-letters a database data error raised in a handler (its SQLSTATE kept through Nest), and moves on', async () => {
    const store = app.get(EventStore);
    for (const id of ['dev-overflow', 'dev-3']) {
      await store.append(undefined, { streamId: id, streamType: 'device', expectedVersion: 'no_stream', events: [deviceListed(id)] });
    }
    await waitFor('dev-3 applied after the poison', async () => ((await kit.pool.query(`select 1 from listed_devices where device_id = 'dev-3'`)).rowCount ? true : undefined), 30_000);
    const { rows } = await kit.pool.query<{ error_code: string }>(`select error_code from dead_letters where event_id in (select event_id::text from events where stream_id = 'dev-overflow')`);
    expect(rows).toEqual([{ error_code: 'DATA.SQLSTATE_22003' }]);
  });

  it('pages dead letters with a cursor', async () => {
    for (let i = 0; i < 3; i++) {
      await kit.pool.query(
        `insert into dead_letters (id, consumer_group, source_topic, source_partition, source_offset, error_code, error_message, dead_lettered_at)
         values (gen_random_uuid(), 'g-paging', 't', 0, $1::bigint, 'X', 'x', now() - make_interval(secs => $1::int))`,
        [i + 1],
      );
    }
    const first = (await http.inject({ method: 'GET', url: '/v1/ops/dead-letters?limit=2&consumerGroup=g-paging', headers: { 'x-test-ops': 'yes' } })).json();
    expect(first.items.map((i: { sourceOffset: string }) => i.sourceOffset)).toEqual(['1', '2']);
    const second = (await http.inject({ method: 'GET', url: `/v1/ops/dead-letters?limit=2&consumerGroup=g-paging&cursor=${first.nextCursor}`, headers: { 'x-test-ops': 'yes' } })).json();
    expect(second.items.map((i: { sourceOffset: string }) => i.sourceOffset)).toEqual(['3']);
    expect(second.nextCursor).toBeNull();
  });
});
