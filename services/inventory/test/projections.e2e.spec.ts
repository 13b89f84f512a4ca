import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { commonV1, inventoryV1, newEventId } from '@ionet/contracts';
import { EventStore } from '@ionet/eventing';
import { ApiKeyService } from '@ionet/platform';
import { deleteTestTopics, startTestService, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { NO_AGENT_DETAILS } from '../src/domain/device/device.decider';
import { inventoryCatalogProjection } from '../src/application/projections/inventory-catalog.projection';
import { deviceEventCodec } from '../src/infrastructure/messaging/inventory-event-codec';
import { inventoryService } from '../src/inventory.module';
import type { InventoryConfig } from '../src/inventory.config';

const AGENT_KEY = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const WALLET = '11111111111111111111111111111111';
type Json = Record<string, unknown>;

describe('inventory: projections owned by the eventing kit (poison events, bad enums, replicas rebuilding)', () => {
  const ns = testNamespace('inventory-projections');
  let a: RunningTestService<InventoryConfig>;
  let b: RunningTestService<InventoryConfig>;
  let keyA: string;
  const group = () => `${ns.topicPrefix}inventory.catalog`;

  beforeAll(async () => {
    a = await startTestService(inventoryService, { schema: ns.schema, serviceName: 'inventory', topicPrefix: ns.topicPrefix });
    // A second replica of the same service: same database schema, same topics and groups.
    b = await startTestService(inventoryService, { schema: ns.schema, serviceName: 'inventory', topicPrefix: ns.topicPrefix });
    keyA = (await a.app.get(ApiKeyService).issue('tenant-a', ['supplier'])).key;
  });

  afterAll(async () => {
    await b?.app.close();
    await a?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const call = async (svc: RunningTestService<InventoryConfig>, method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  /** Registers a supplier and a device of tenant-a through the API; resolves once the catalogue shows the device. */
  const registerDevice = async (): Promise<string> => {
    const supplier = await call(a, 'POST', '/v1/suppliers', keyA, { name: 'Ridge Farm', source: 'mining_farm', payoutWallet: WALLET });
    expect(supplier.status).toBe(201);
    const device = await call(a, 'POST', `/v1/suppliers/${supplier.body.supplierId as string}/devices`, keyA, {
      agentPublicKey: AGENT_KEY,
      deviceClass: 'cpu',
      cpuCores: 64,
      ramMib: 65_536,
      diskGib: 500,
      countryCode: 'DE',
      region: 'eu-central',
      connectivityTier: 'high',
      securityTier: 'standard',
      askPricePerGpuHour: { amountBaseUnits: '100000', asset: 'USDC' },
    });
    expect(device.status).toBe(201);
    const deviceId = device.body.deviceId as string;
    await waitFor('the device in the catalogue', async () => ((await call(a, 'GET', `/v1/devices/${deviceId}`, keyA)).status === 200 ? true : undefined));
    return deviceId;
  };

  const deadLetter = (eventId: string) =>
    waitFor('the dead letter', async () => {
      const page = await call(a, 'GET', `/v1/ops/dead-letters?consumerGroup=${encodeURIComponent(group())}`, a.opsKey);
      return (page.body.items as Json[]).find((d) => d.eventId === eventId);
    });

  it('dead-letters a poison event (its cpuCores overflow the catalogue column) while other tenants keep flowing', async () => {
    // Written past the edge and the decider, as an old build without bounds did.
    const store = a.app.get(EventStore);
    const poisonId = randomUUID();
    const at = new Date();
    const appended = await store.append(undefined, {
      streamId: poisonId,
      streamType: 'device',
      expectedVersion: 'no_stream',
      events: [
        deviceEventCodec.encode({
          type: 'DeviceRegistered',
          deviceId: poisonId,
          supplierId: randomUUID(),
          tenantId: 'tenant-evil',
          agentPublicKey: AGENT_KEY,
          spec: { deviceClass: 'cpu', gpu: null, cpuCores: 3_000_000_000, ramMib: 1, diskGib: 1, countryCode: 'DE', region: 'x', connectivityTier: 'low', securityTier: 'standard' },
          source: 'individual',
          askPricePerGpuHour: { amountBaseUnits: 1n, asset: 'USDC' },
          payoutWallet: WALLET,
          simulated: false,
          enrollmentTokenId: null,
          partner: null,
          agent: NO_AGENT_DETAILS,
          statusReason: 'pending',
          at,
        }),
      ],
    });
    await registerDevice();
    const letter = await deadLetter(appended.eventIds[0]!);
    expect(letter).toMatchObject({ errorCode: 'DATA.SQLSTATE_22003', eventType: 'ionet.inventory.v1.DeviceRegistered' });
    // The projection consumer is registered for redrive: it runs the event again (and it fails again).
    const redrive = await call(a, 'POST', `/v1/ops/dead-letters/${letter.id as string}/redrive`, a.opsKey);
    expect(redrive.body.code).not.toBe('DEAD_LETTER.NO_CONSUMER');
    const after = await call(a, 'GET', `/v1/ops/dead-letters?consumerGroup=${encodeURIComponent(group())}`, a.opsKey);
    expect((after.body.items as Json[]).find((d) => d.id === letter.id)).toMatchObject({ redriveAttempts: 1, redrivenAt: null, lastRedriveError: expect.stringContaining('DATA.SQLSTATE_22003') });
    const ready = await fetch(`${a.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Json }).checks.consumers).toMatchObject({ status: 'up' });
  });

  it('dead-letters an enum value the contract does not know instead of stalling the partition', async () => {
    const store = a.app.get(EventStore);
    const supplierId = newEventId();
    const appended = await store.append(undefined, {
      streamId: supplierId,
      streamType: 'supplier',
      expectedVersion: 'no_stream',
      events: [
        {
          schema: inventoryV1.SupplierRegisteredSchema,
          occurredAt: new Date(),
          data: create(inventoryV1.SupplierRegisteredSchema, { supplierId, tenantId: 'tenant-future', displayName: 'From a newer build', source: 99 as commonV1.SupplySource, registeredAt: timestampFromDate(new Date()) }),
        },
      ],
    });
    await registerDevice();
    expect(await deadLetter(appended.eventIds[0]!)).toMatchObject({ errorCode: 'CONTRACT.UNKNOWN_ENUM_VALUE' });
  });

  it('lets one of two replicas rebuild a projection at once; the other is told so (409), and both report the stored status', async () => {
    const [fromA, fromB] = await Promise.all([call(a, 'POST', '/v1/ops/projections/inventory_catalog/rebuild', a.opsKey), call(b, 'POST', '/v1/ops/projections/inventory_catalog/rebuild', b.opsKey)]);
    expect([fromA.status, fromB.status].sort()).toEqual([202, 409]);
    const refused = fromA.status === 409 ? fromA : fromB;
    expect(refused.body).toMatchObject({ status: 409, code: 'PROJECTION.REBUILD_IN_PROGRESS' });
    const done = await waitFor(
      'the rebuild to finish',
      async () => {
        const res = await call(b, 'GET', '/v1/ops/projections/inventory_catalog', b.opsKey);
        return (res.body.rebuild as Json).state === 'running' ? undefined : res.body;
      },
      40_000,
    );
    expect(done).toMatchObject({ name: 'inventory_catalog', version: inventoryCatalogProjection.version, generation: 2, rebuild: { state: 'succeeded', generation: 2 } });
    expect((await call(a, 'GET', '/v1/ops/projections/inventory_catalog', a.opsKey)).body).toMatchObject({ generation: 2, rebuild: { state: 'succeeded' } });
    const list = await call(a, 'GET', '/v1/ops/projections', a.opsKey);
    expect((list.body.items as Json[]).map((p) => p.name)).toEqual(['inventory_catalog']);
    expect(await call(a, 'POST', '/v1/ops/projections/nope/rebuild', a.opsKey)).toMatchObject({ status: 404, body: { code: 'PROJECTION.NOT_FOUND' } });
  });
});
