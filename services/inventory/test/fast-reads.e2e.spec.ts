import { ApiKeyService } from '@ionet/platform';
import { deleteTestTopics, startTestService, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inventoryService } from '../src/inventory.module';
import type { InventoryConfig } from '../src/inventory.config';

const AGENT_KEY = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const WALLET = '11111111111111111111111111111111';

type Json = Record<string, unknown>;

/** The catalogue's GETs answered outside the Nest chain (ADR 0314) must answer exactly what the
 *  Nest route answers, and leave every refusal to it. */
describe('inventory fast reads', () => {
  const ns = testNamespace('inventory-fast-reads');
  let svc: RunningTestService<InventoryConfig>;
  let keys: ApiKeyService;
  let keyA: string;
  let keyB: string;
  let supplierId: string;
  const deviceIds: string[] = [];

  beforeAll(async () => {
    svc = await startTestService(inventoryService, { schema: ns.schema, serviceName: 'inventory', topicPrefix: ns.topicPrefix });
    keys = svc.app.get(ApiKeyService);
    keyA = (await keys.issue('tenant-a', ['supplier'])).key;
    keyB = (await keys.issue('tenant-b', ['supplier'])).key;
    supplierId = ((await post('/v1/suppliers', keyA, { name: 'Fast Farm', source: 'data_center', payoutWallet: WALLET })) as Json).supplierId as string;
    for (let i = 0; i < 3; i++) {
      const device = (await post(`/v1/suppliers/${supplierId}/devices`, keyA, {
        agentPublicKey: AGENT_KEY,
        deviceClass: 'gpu',
        gpu: { model: i === 0 ? 'A100' : 'H100', vramMib: 81_920, count: 8 },
        cpuCores: 64,
        ramMib: 1_048_576,
        diskGib: 4_000,
        countryCode: 'de',
        region: 'eu-central',
        connectivityTier: 'ultra_high',
        securityTier: 'secure',
        askPricePerGpuHour: { amountBaseUnits: String(1_990_000 + i), asset: 'USDC' },
      })) as Json;
      deviceIds.push(device.deviceId as string);
    }
    await waitFor('3 devices in the catalogue', async () => ((await get('/v1/devices', keyA)).body as { items: unknown[] }).items.length === 3 || undefined, 30_000);
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  async function post(path: string, key: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${svc.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  async function get(path: string, key?: string): Promise<{ status: number; type: string | null; headers: Headers; body: unknown }> {
    const res = await fetch(`${svc.baseUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: await res.json() };
  }

  async function counter(name: string, route: string): Promise<number> {
    const text = await (await fetch(`${svc.baseUrl}/metrics`, { headers: { authorization: `Bearer ${svc.opsKey}` } })).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`route="${route}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  }
  const answeredFast = (route: string) => counter('http_fast_reads_total', route);
  const cacheHits = (route: string) => counter('http_fast_read_cache_hits_total', route);

  async function getText(path: string, key: string): Promise<{ status: number; type: string | null; text: string }> {
    const res = await fetch(`${svc.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  }

  it('answers a page as the Nest route does (limit=020 is left to the validation pipe)', async () => {
    const before = await answeredFast('/v1/devices');
    const fast = await get('/v1/devices?limit=2', keyA);
    expect(await answeredFast('/v1/devices')).toBe(before + 1);
    const nest = await get('/v1/devices?limit=002', keyA);
    expect(await answeredFast('/v1/devices')).toBe(before + 1);
    expect(fast.status).toBe(200);
    expect(fast.type).toBe('application/json; charset=utf-8');
    expect({ status: nest.status, type: nest.type, body: nest.body }).toEqual({ status: fast.status, type: fast.type, body: fast.body });
    const page = fast.body as { items: Json[]; nextCursor: string };
    expect(page.items.map((d) => d.deviceId)).toEqual(deviceIds.slice(0, 2));
    expect(page.items[0]).toMatchObject({ tenantId: 'tenant-a', askPricePerGpuHour: { amountBaseUnits: '1990000', asset: 'USDC' }, version: '1' });

    // The next page by cursor, and filters, on the fast path.
    const next = await get(`/v1/devices?limit=2&cursor=${page.nextCursor}`, keyA);
    expect((next.body as { items: Json[] }).items.map((d) => d.deviceId)).toEqual(deviceIds.slice(2));
    const filtered = await get(`/v1/devices?gpuModel=A100&countryCode=de&supplierId=${supplierId}`, keyA);
    expect((filtered.body as { items: Json[] }).items.map((d) => d.deviceId)).toEqual([deviceIds[0]]);
    expect(await answeredFast('/v1/devices')).toBe(before + 3);
  });

  it('answers one device and one supplier as the Nest route does', async () => {
    const one = await get(`/v1/devices/${deviceIds[1]!.toUpperCase()}`, keyA);
    expect(one.status).toBe(200);
    const listed = ((await get('/v1/devices', keyA)).body as { items: Json[] }).items[1];
    expect(one.body).toEqual(listed);
    const supplier = await get(`/v1/suppliers/${supplierId}`, keyA);
    expect(supplier.body).toMatchObject({ supplierId, tenantId: 'tenant-a' });
    expect((await get('/v1/suppliers?limit=5', keyA)).body).toEqual({ items: [supplier.body] });
  });

  it('keeps tenants apart and leaves every refusal to the Nest route, as problem+json', async () => {
    expect((await get('/v1/devices', keyB)).body).toEqual({ items: [] });
    const other = await get(`/v1/devices/${deviceIds[0]}`, keyB);
    expect(other.status).toBe(404);
    expect(other.type).toContain('application/problem+json');
    expect(other.body).toMatchObject({ code: 'DEVICE.NOT_FOUND' });

    const before = await answeredFast('/v1/devices');
    const refusals: [string, string | undefined, number, string][] = [
      ['/v1/devices?limit=201', keyA, 400, 'VALIDATION.FAILED'],
      ['/v1/devices?colour=red', keyA, 400, 'VALIDATION.FAILED'],
      ['/v1/devices?gpuModel=H100%00', keyA, 400, 'REQUEST.INVALID_CHARACTERS'],
      ['/v1/devices', undefined, 401, 'AUTH.MISSING_API_KEY'],
      ['/v1/devices', 'ionet_supplier_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 401, 'AUTH.INVALID_API_KEY'],
      [`/v1/devices?api_key=${keyA}`, undefined, 401, 'AUTH.KEY_IN_QUERY'],
      ['/v1/devices/not-a-uuid', keyA, 400, 'REQUEST.INVALID_ID'],
    ];
    for (const [path, key, status, code] of refusals) {
      const res = await get(path, key);
      expect({ path, status: res.status, type: res.type, code: (res.body as Json).code }).toEqual({ path, status, type: expect.stringContaining('application/problem+json'), code });
    }
    const customerKey = (await keys.issue('tenant-c', ['customer'])).key;
    expect((await get('/v1/devices', customerKey)).body).toMatchObject({ status: 403, code: 'AUTH.INSUFFICIENT_SCOPE' });
    expect(await answeredFast('/v1/devices')).toBe(before);
  });

  it('reads a page by index, in keyset order, without sorting (a tenant\'s and every tenant\'s)', async () => {
    const plans = await svc.app.get(DataSource).transaction(async (tx) => {
      // The planner would scan a handful of rows; forbidding scans shows which index serves the read.
      await tx.query('set local enable_seqscan = off');
      await tx.query('set local enable_bitmapscan = off');
      const plan = async (sql: string, params: unknown[]) => ((await tx.query(`explain ${sql}`, params)) as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      return [
        await plan(`select * from devices where tenant_id = $1 order by registered_at, device_id limit $2`, ['tenant-a', 21]),
        await plan(`select * from devices where tenant_id = $1 and (registered_at, device_id) > ($2::timestamptz, $3::uuid) order by registered_at, device_id limit $4`, ['tenant-a', new Date(0), deviceIds[0], 21]),
        await plan(`select * from devices order by registered_at, device_id limit $1`, [21]),
        await plan(`select * from suppliers where tenant_id = $1 order by registered_at, supplier_id limit $2`, ['tenant-a', 21]),
      ];
    });
    expect(plans[0]).toMatch(/Index Scan using devices__g\d+__tenant_id__registered_at__device_id/);
    expect(plans[1]).toMatch(/Index Cond: \(\(tenant_id = 'tenant-a'::text\) AND \(ROW\(registered_at, device_id\) > ROW/);
    expect(plans[2]).toMatch(/Index Scan using devices__g\d+__registered_at__device_id/);
    expect(plans[3]).toMatch(/Index Scan using suppliers__g\d+__tenant_id__registered_at__supplier_id/);
    for (const plan of plans) expect(plan).not.toMatch(/Sort/);
  });

  it('answers a repeated read from its cache with the same bytes, per tenant, until the catalogue changes (ADR 0315)', async () => {
    const url = '/v1/devices?limit=3';
    const first = await getText(url, keyA);
    expect(first.status).toBe(200);
    // A later read of the same URL by the same tenant comes from the cache (an unrelated change
    // to the catalogue in between would only make it a miss once more).
    const hitsBefore = await cacheHits('/v1/devices');
    const cached = await waitFor('a read answered from the cache', async () => {
      const again = await getText(url, keyA);
      return (await cacheHits('/v1/devices')) > hitsBefore ? again : undefined;
    }, 30_000);
    expect(cached).toEqual(first);
    // The same page through Nest's chain (`limit=003` is not a fast read): the same answer.
    const nest = await getText('/v1/devices?limit=003', keyA);
    expect({ status: nest.status, type: nest.type, body: JSON.parse(nest.text) as unknown }).toEqual({ status: 200, type: cached.type, body: JSON.parse(cached.text) as unknown });

    // Another tenant asking the same URL while tenant A's page is cached sees only its own data,
    // and ops (every tenant) their own page too.
    for (let i = 0; i < 2; i++) expect(JSON.parse((await getText(url, keyB)).text)).toEqual({ items: [] });
    const opsPage = JSON.parse((await getText(url, svc.opsKey)).text) as { items: Json[] };
    expect(opsPage.items.map((d) => d.deviceId)).toEqual(deviceIds);
    expect(JSON.parse((await getText(url, keyA)).text)).toEqual(JSON.parse(first.text));

    // A change to the catalogue (a new price, applied by the projection) replaces the cached page,
    // and the old one never comes back.
    const res = await fetch(`${svc.baseUrl}/v1/devices/${deviceIds[0]}/price`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ askPricePerGpuHour: { amountBaseUnits: '2500000', asset: 'USDC' } }),
    });
    expect(res.status).toBe(200);
    const priceOf = (text: string) => (JSON.parse(text) as { items: { askPricePerGpuHour: { amountBaseUnits: string } }[] }).items[0]!.askPricePerGpuHour.amountBaseUnits;
    await waitFor('the new price on the cached URL', async () => (priceOf((await getText(url, keyA)).text) === '2500000' ? true : undefined), 30_000);
    for (let i = 0; i < 3; i++) expect(priceOf((await getText(url, keyA)).text)).toBe('2500000');
    const after = await getText(`/v1/devices/${deviceIds[0]}`, keyA);
    expect((JSON.parse(after.text) as { askPricePerGpuHour: { amountBaseUnits: string } }).askPricePerGpuHour.amountBaseUnits).toBe('2500000');
  });

  it('refuses a revoked key on the fast path as soon as the key map knows', async () => {
    const issued = await keys.issue('tenant-a', ['supplier']);
    expect((await get('/v1/devices', issued.key)).status).toBe(200);
    await keys.revoke(issued.id, new Date());
    const res = await get('/v1/devices', issued.key);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'AUTH.INVALID_API_KEY' });
  });
});
