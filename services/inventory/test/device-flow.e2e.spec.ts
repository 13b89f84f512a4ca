import { fromBinary } from '@bufbuild/protobuf';
import { decodeEnvelope, inventoryV1, topicName } from '@ionet/contracts';
import { ApiKeyService } from '@ionet/platform';
import { deleteTestTopics, startTestService, testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { inventoryService } from '../src/inventory.module';
import type { InventoryConfig } from '../src/inventory.config';

const AGENT_KEY = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const WALLET = '11111111111111111111111111111111';

type Json = Record<string, unknown>;

describe('inventory: command -> event store -> relay -> Kafka -> catalogue projection -> query', () => {
  const ns = testNamespace('inventory-devices');
  let svc: RunningTestService<InventoryConfig>;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    svc = await startTestService(inventoryService, { schema: ns.schema, serviceName: 'inventory', topicPrefix: ns.topicPrefix });
    const keys = svc.app.get(ApiKeyService);
    keyA = (await keys.issue('tenant-a', ['supplier'])).key;
    keyB = (await keys.issue('tenant-b', ['supplier'])).key;
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const call = async (method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  const h100 = {
    agentPublicKey: AGENT_KEY,
    deviceClass: 'gpu',
    gpu: { model: 'H100', vramMib: 81_920, count: 8 },
    cpuCores: 64,
    ramMib: 1_048_576,
    diskGib: 4_000,
    countryCode: 'de',
    region: 'eu-central',
    connectivityTier: 'ultra_high',
    securityTier: 'secure',
    askPricePerGpuHour: { amountBaseUnits: '1990000', asset: 'USDC' },
  };

  let supplierId: string;
  let deviceId: string;

  it('registers a supplier and a device, and the catalogue serves the device', async () => {
    const supplier = await call('POST', '/v1/suppliers', keyA, { name: 'Ridge Farm', source: 'mining_farm', payoutWallet: WALLET });
    expect(supplier.status).toBe(201);
    supplierId = supplier.body.supplierId as string;

    const device = await call('POST', `/v1/suppliers/${supplierId}/devices`, keyA, h100);
    expect(device.status).toBe(201);
    deviceId = device.body.deviceId as string;
    expect(device.body).toMatchObject({ supplierId, tenantId: 'tenant-a', countryCode: 'DE', payoutWallet: WALLET, source: 'mining_farm', version: '1' });

    const read = await waitFor('the device in the catalogue', async () => {
      const res = await call('GET', `/v1/devices/${deviceId}`, keyA);
      return res.status === 200 ? res.body : undefined;
    });
    expect(read).toEqual(device.body);
  });

  it('published the facts to Kafka, keyed by aggregate id, with the envelope and type header', async () => {
    const consumer = testKafka('inventory-flow-reader').consumer({ groupId: `${ns.topicPrefix}reader` });
    const seen: { key: string; type: string; header: string; aggregateId: string; tenantId: string }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topicName('inventory', ns.topicPrefix), fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const { metadata, payload } = decodeEnvelope(message.value!);
          const tenantId =
            metadata.eventType === 'ionet.inventory.v1.DeviceRegistered'
              ? fromBinary(inventoryV1.DeviceRegisteredSchema, payload).tenantId
              : metadata.eventType === 'ionet.inventory.v1.SupplierRegistered'
                ? fromBinary(inventoryV1.SupplierRegisteredSchema, payload).tenantId
                : '';
          seen.push({ key: String(message.key), type: metadata.eventType, header: String(message.headers?.['ionet-event-type'] ?? message.headers?.['event-type'] ?? ''), aggregateId: metadata.aggregateId, tenantId });
        },
      });
      await waitFor('SupplierRegistered and DeviceRegistered on the topic', () =>
        seen.some((m) => m.aggregateId === deviceId) && seen.some((m) => m.aggregateId === supplierId) ? seen : undefined,
      );
    } finally {
      await consumer.disconnect();
    }
    const ofDevice = seen.find((m) => m.aggregateId === deviceId)!;
    expect(ofDevice).toMatchObject({ key: deviceId, type: 'ionet.inventory.v1.DeviceRegistered', tenantId: 'tenant-a' });
    expect(seen.find((m) => m.aggregateId === supplierId)).toMatchObject({ key: supplierId, type: 'ionet.inventory.v1.SupplierRegistered' });
  });

  it('changes the price through a new event; the same price again appends nothing', async () => {
    const changed = await call('PUT', `/v1/devices/${deviceId}/price`, keyA, { askPricePerGpuHour: { amountBaseUnits: '2500000', asset: 'USDC' } });
    expect(changed).toEqual({ status: 200, body: { deviceId, version: '2', changed: true } });
    const again = await call('PUT', `/v1/devices/${deviceId}/price`, keyA, { askPricePerGpuHour: { amountBaseUnits: '2500000', asset: 'USDC' } });
    expect(again).toEqual({ status: 200, body: { deviceId, version: '2', changed: false } });
    const read = await waitFor('the new price in the catalogue', async () => {
      const res = await call('GET', `/v1/devices/${deviceId}`, keyA);
      return res.body.version === '2' ? res.body : undefined;
    });
    expect(read.askPricePerGpuHour).toEqual({ amountBaseUnits: '2500000', asset: 'USDC' });
    const bad = await call('PUT', `/v1/devices/${deviceId}/price`, keyA, { askPricePerGpuHour: { amountBaseUnits: '1.5', asset: 'USDC' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION.FAILED');
  });

  it('lands 12 concurrent price changes to one device: each is retried on a conflict, none answers 409', async () => {
    const amounts = Array.from({ length: 12 }, (_, i) => String(3_000_000 + i));
    const answers = await Promise.all(amounts.map((amountBaseUnits) => call('PUT', `/v1/devices/${deviceId}/price`, keyA, { askPricePerGpuHour: { amountBaseUnits, asset: 'USDC' } })));
    expect(answers.map((a) => a.status)).toEqual(amounts.map(() => 200));
    expect(answers.every((a) => a.body.changed === true)).toBe(true);
    // Versions 3..14, one each: every change is its own event on the stream.
    expect(answers.map((a) => Number(a.body.version)).sort((x, y) => x - y)).toEqual(amounts.map((_, i) => i + 3));
    const last = answers.find((a) => a.body.version === '14')!;
    const lastAmount = amounts[answers.indexOf(last)]!;
    const read = await waitFor('the last price in the catalogue', async () => {
      const res = await call('GET', `/v1/devices/${deviceId}`, keyA);
      return res.body.version === '14' ? res.body : undefined;
    });
    expect(read.askPricePerGpuHour).toEqual({ amountBaseUnits: lastAmount, asset: 'USDC' });
    // Back to the price the later tests expect.
    expect((await call('PUT', `/v1/devices/${deviceId}/price`, keyA, { askPricePerGpuHour: { amountBaseUnits: '2500000', asset: 'USDC' } })).status).toBe(200);
  });

  it('reports appended, published and consumed events and the consumer lag on /metrics', async () => {
    /** Sum of the samples of `name` whose labels include `labels`, or undefined if there are none. */
    const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
      let sum: number | undefined;
      for (const line of text.split('\n')) {
        const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!match || match[1] !== name) continue;
        const has = Object.entries(labels).every(([k, v]) => (match[2] ?? '').split(',').includes(`${k}="${v}"`));
        if (has) sum = (sum ?? 0) + Number(match[3]);
      }
      return sum;
    };
    const text = await waitFor('eventing metrics of the flow', async () => {
      const body = await (await fetch(`${svc.baseUrl}/metrics`, { headers: { authorization: `Bearer ${svc.opsKey}` } })).text();
      // The device's registration and price change; with the supplier's registration, three on the topic.
      const ready =
        (sample(body, 'eventing_events_appended_total', { stream_type: 'device' }) ?? 0) >= 2 &&
        (sample(body, 'eventing_relay_published_total', { topic: topicName('inventory', ns.topicPrefix) }) ?? 0) >= 3 &&
        (sample(body, 'eventing_consumer_events_total', { outcome: 'applied' }) ?? 0) >= 1;
      return ready ? body : undefined;
    });
    expect(sample(text, 'eventing_events_appended_total', { stream_type: 'device' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'eventing_relay_published_total', { topic: topicName('inventory', ns.topicPrefix) })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'eventing_consumer_events_total', { outcome: 'applied' })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^eventing_consumer_lag\{[^}]*group="[^"]+"[^}]*topic="[^"]+"[^}]*partition="\d+"[^}]*\} \d+$/m);
    expect(sample(text, 'eventing_consumer_batch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE eventing_dead_letters_total counter');
  });

  it('filters and pages the catalogue, and keeps tenants apart', async () => {
    const cpu = await call('POST', `/v1/suppliers/${supplierId}/devices`, keyA, {
      ...h100,
      deviceClass: 'cpu',
      gpu: undefined,
      countryCode: 'FR',
      askPricePerGpuHour: { amountBaseUnits: '50000', asset: 'USDC' },
    });
    expect(cpu.status).toBe(201);
    await waitFor('two devices in the catalogue', async () => ((await call('GET', '/v1/devices', keyA)).body.items as unknown[]).length === 2 || undefined);
    const h100s = await call('GET', '/v1/devices?gpuModel=H100', keyA);
    expect((h100s.body.items as Json[]).map((d) => d.deviceId)).toEqual([deviceId]);
    const inFrance = await call('GET', '/v1/devices?countryCode=fr', keyA);
    expect((inFrance.body.items as Json[]).map((d) => d.deviceId)).toEqual([cpu.body.deviceId]);
    const page1 = await call('GET', `/v1/devices?supplierId=${supplierId}&limit=1`, keyA);
    const page2 = await call('GET', `/v1/devices?supplierId=${supplierId}&limit=1&cursor=${page1.body.nextCursor as string}`, keyA);
    expect([...(page1.body.items as Json[]), ...(page2.body.items as Json[])].map((d) => d.deviceId)).toEqual([deviceId, cpu.body.deviceId]);
    expect(page2.body.nextCursor).toBeUndefined();

    expect((await call('GET', '/v1/devices', keyB)).body.items).toEqual([]);
    expect(await call('GET', `/v1/devices/${deviceId}`, keyB)).toMatchObject({ status: 404, body: { code: 'DEVICE.NOT_FOUND' } });
    expect(await call('POST', `/v1/suppliers/${supplierId}/devices`, keyB, h100)).toMatchObject({ status: 404, body: { code: 'SUPPLIER.NOT_FOUND' } });
    expect(await call('PUT', `/v1/devices/${deviceId}/price`, keyB, { askPricePerGpuHour: { amountBaseUnits: '1', asset: 'USDC' } })).toMatchObject({
      status: 404,
      body: { code: 'DEVICE.NOT_FOUND' },
    });
  });

  it('refuses impossible hardware with the domain code', async () => {
    const tooMany = await call('POST', `/v1/suppliers/${supplierId}/devices`, keyA, { ...h100, gpu: { model: 'H100', vramMib: 81_920, count: 17 } });
    // Past the bound the edge shares with the decider: refused before the decider runs.
    expect(tooMany).toMatchObject({ status: 400, body: { code: 'VALIDATION.FAILED' } });
    const noGpus = await call('POST', `/v1/suppliers/${supplierId}/devices`, keyA, { ...h100, gpu: undefined });
    expect(noGpus).toMatchObject({ status: 422, body: { code: 'DEVICE.INVALID_SPEC' } });
    const malformed = await call('POST', `/v1/suppliers/${supplierId}/devices`, keyA, { ...h100, gpu: { model: 'H100', vramMib: 'lots', count: 8 } });
    expect(malformed).toMatchObject({ status: 400, body: { code: 'VALIDATION.FAILED' } });
  });

  it('bounds every number at the edge and answers malformed price bodies and filters with 400, never 500', async () => {
    const oversized = await call('POST', `/v1/suppliers/${supplierId}/devices`, keyA, { ...h100, cpuCores: 3_000_000_000 });
    expect(oversized).toMatchObject({ status: 400, body: { code: 'VALIDATION.FAILED' } });
    for (const field of ['ramMib', 'diskGib'] as const) {
      expect(await call('POST', `/v1/suppliers/${supplierId}/devices`, keyA, { ...h100, [field]: 3_000_000_000 })).toMatchObject({ status: 400 });
    }
    expect(await call('POST', `/v1/suppliers/${supplierId}/devices`, keyA, { ...h100, gpu: { model: 'H100', vramMib: 3_000_000_000, count: 8 } })).toMatchObject({ status: 400 });
    for (const body of [{}, { askPricePerGpuHour: [] }, { askPricePerGpuHour: null }]) {
      expect(await call('PUT', `/v1/devices/${deviceId}/price`, keyA, body)).toMatchObject({ status: 400, body: { code: 'VALIDATION.FAILED' } });
    }
    const nullBody = await fetch(`${svc.baseUrl}/v1/devices/${deviceId}/price`, { method: 'PUT', headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' }, body: 'null' });
    expect(nullBody.status).toBe(400);
    expect(await call('GET', `/v1/devices?supplierId=${'-'.repeat(36)}`, keyA)).toMatchObject({ status: 400, body: { code: 'VALIDATION.FAILED' } });
  });

  it('lets ops rebuild the catalogue blue/green, proving the same state hash, and keeps it from others', async () => {
    expect((await call('GET', '/v1/ops/projections/inventory_catalog', keyA)).status).toBe(403);
    expect((await call('GET', '/v1/ops/dead-letters', keyA)).status).toBe(403);
    expect((await call('GET', '/v1/ops/dead-letters', svc.opsKey)).status).toBe(200);

    const before = await call('GET', '/v1/ops/projections/inventory_catalog', svc.opsKey);
    expect(before.body).toMatchObject({ name: 'inventory_catalog', generation: 1, rebuild: { state: 'idle' } });
    const started = await call('POST', '/v1/ops/projections/inventory_catalog/rebuild', svc.opsKey);
    expect(started).toMatchObject({ status: 202, body: { state: 'running' } });
    const done = await waitFor(
      'the rebuild to finish',
      async () => {
        const res = await call('GET', '/v1/ops/projections/inventory_catalog', svc.opsKey);
        return (res.body.rebuild as Json).state === 'running' ? undefined : res.body;
      },
      40_000,
    );
    expect(done).toMatchObject({ generation: 2, stateHash: before.body.stateHash, rebuild: { state: 'succeeded', result: { hashVerified: true } } });
    // The swapped-in generation serves the same rows.
    expect((await call('GET', `/v1/devices/${deviceId}`, keyA)).body.askPricePerGpuHour).toEqual({ amountBaseUnits: '2500000', asset: 'USDC' });
    expect(await call('GET', '/v1/ops/projections/nope', svc.opsKey)).toMatchObject({ status: 404, body: { code: 'PROJECTION.NOT_FOUND' } });
  });
});
