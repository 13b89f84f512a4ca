import { Client } from 'pg';
import { createTestSchema, deleteTestTopics, dropTestSchema, startServiceProcess, TEST_OPS_KEY, testConnections, testNamespace, waitFor, type ServiceProcess } from '@ionet/testing';
import { randomUUID } from 'node:crypto';

const AGENT_KEY = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const WALLET = '11111111111111111111111111111111';

jest.setTimeout(180_000);

describe('inventory as a real process: SIGKILL between the append and the response, then a retry with the same key', () => {
  const ns = testNamespace('inventory-crash');
  let db: Client;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    await createTestSchema(ns.schema);
    db = new Client({ connectionString: testConnections().postgresUrl, options: `-c search_path=${ns.schema}` });
    await db.connect();
  });

  afterAll(async () => {
    for (const p of processes) await p.stop();
    await db?.end();
    await dropTestSchema(ns.schema);
    await deleteTestTopics(ns.topicPrefix);
  });

  const start = async (env: Record<string, string> = {}) => {
    const p = await startServiceProcess({ service: 'inventory', schema: ns.schema, topicPrefix: ns.topicPrefix, env });
    processes.push(p);
    return p;
  };
  const post = (p: ServiceProcess, path: string, idempotencyKey: string, body: unknown) =>
    fetch(`${p.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_OPS_KEY}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
    });

  it('creates one device and one set of events', async () => {
    const first = await start({ IONET_TEST_KILL_AFTER_APPEND: 'device' });
    const supplier = await post(first, '/v1/suppliers', randomUUID(), { name: 'Ridge Farm', source: 'mining_farm', payoutWallet: WALLET, tenantId: 'tenant-a' });
    expect(supplier.status).toBe(201);
    const { supplierId } = (await supplier.json()) as { supplierId: string };

    const key = randomUUID();
    const device = {
      agentPublicKey: AGENT_KEY,
      deviceClass: 'cpu',
      cpuCores: 32,
      ramMib: 65_536,
      diskGib: 500,
      countryCode: 'DE',
      region: 'eu-central',
      connectivityTier: 'high',
      securityTier: 'standard',
      askPricePerGpuHour: { amountBaseUnits: '100000', asset: 'USDC' },
    };
    // The process appends DeviceRegistered, then dies before it answers.
    await expect(post(first, `/v1/suppliers/${supplierId}/devices`, key, device)).rejects.toThrow();
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const appended = await db.query<{ stream_id: string }>(`select stream_id from events where stream_type = 'device'`);
    expect(appended.rows).toHaveLength(1);

    const second = await start();
    const retry = await post(second, `/v1/suppliers/${supplierId}/devices`, key, device);
    expect(retry.status).toBe(201);
    const created = (await retry.json()) as { deviceId: string; version: string };
    expect(created).toMatchObject({ deviceId: appended.rows[0]!.stream_id, version: '1' });

    const events = await db.query<{ stream_id: string; event_type: string }>(`select stream_id, event_type from events where stream_type = 'device'`);
    expect(events.rows).toEqual([{ stream_id: created.deviceId, event_type: 'ionet.inventory.v1.DeviceRegistered' }]);

    const again = await post(second, `/v1/suppliers/${supplierId}/devices`, key, device);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(created);

    const listed = await waitFor('the device in the catalogue', async () => {
      const res = await fetch(`${second.baseUrl}/v1/devices?supplierId=${supplierId}`, { headers: { authorization: `Bearer ${TEST_OPS_KEY}` } });
      const page = (await res.json()) as { items: { deviceId: string }[] };
      return page.items.length ? page.items : undefined;
    });
    expect(listed.map((d) => d.deviceId)).toEqual([created.deviceId]);
  });
});
