import { ApiKeyService, ConfigError, createServiceApp, IdempotencyInterceptor, requestFingerprint } from '@ionet/platform';
import { DataSource } from 'typeorm';
import { deleteTestTopics, startTestService, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { inventoryService } from '../src/inventory.module';
import type { InventoryConfig } from '../src/inventory.config';

const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

describe('inventory over HTTP', () => {
  const ns = testNamespace('inventory-e2e');
  let svc: RunningTestService<InventoryConfig>;
  let supplierKeyA: string;
  let supplierKeyB: string;

  beforeAll(async () => {
    svc = await startTestService(inventoryService, { schema: ns.schema, serviceName: 'inventory', topicPrefix: ns.topicPrefix });
    const keys = svc.app.get(ApiKeyService);
    supplierKeyA = (await keys.issue('tenant-a', ['supplier'])).key;
    supplierKeyB = (await keys.issue('tenant-b', ['supplier'])).key;
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const call = (method: string, path: string, opts: { key?: string; body?: unknown; idempotencyKey?: string; rawBody?: string } = {}) =>
    fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: {
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.body !== undefined || opts.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
      },
      body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });

  it('refuses to start with a malformed variable, naming it', async () => {
    const env = { SERVICE_NAME: 'inventory', DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:6379', KAFKA_BROKERS: '127.0.0.1:9092' };
    await expect(createServiceApp(inventoryService, { ...env, HTTP_PORT: 'eighty' })).rejects.toThrow(ConfigError);
    await expect(createServiceApp(inventoryService, { ...env, HTTP_PORT: 'eighty' })).rejects.toThrow(/HTTP_PORT: must be a port number/);
    await expect(createServiceApp(inventoryService, { ...env, KAFKA_BROKERS: 'kafka' })).rejects.toThrow(/KAFKA_BROKERS/);
  });

  it('answers health, readiness (Postgres, Redis, Kafka) and the OpenAPI document without a key, metrics to an ops key', async () => {
    expect(await (await call('GET', '/health/live')).json()).toEqual({ status: 'ok' });
    const ready = await call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as { checks: Record<string, { status: string }> };
    expect(Object.fromEntries(Object.entries(report.checks).map(([k, v]) => [k, v.status]))).toEqual({ postgres: 'up', redis: 'up', kafka: 'up', consumers: 'up' });

    const openapi = (await (await call('GET', '/openapi.json')).json()) as { paths: Record<string, unknown>; components: { securitySchemes: unknown } };
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/suppliers', '/v1/suppliers/{supplierId}']));
    expect(openapi.components.securitySchemes).toHaveProperty('apiKey');
    const docs = await call('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');

    expect((await call('GET', '/metrics')).status).toBe(401);
    const metrics = await (await call('GET', '/metrics', { key: svc.opsKey })).text();
    expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/health\/ready"[^}]*\} [1-9]/);
    expect(metrics).toContain('process_cpu_seconds_total');
  });

  it('refuses a request without a key (401), with an unknown key (401) and with the wrong scope (403), as problem+json', async () => {
    const none = await call('GET', '/v1/suppliers');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.json()).toMatchObject({ code: 'AUTH.MISSING_API_KEY', status: 401 });

    const unknown = await call('GET', '/v1/suppliers', { key: 'ionet_supplier_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(await unknown.json()).toMatchObject({ code: 'AUTH.INVALID_API_KEY', status: 401 });

    const customerKey = (await svc.app.get(ApiKeyService).issue('tenant-c', ['customer'])).key;
    const wrongScope = await call('GET', '/v1/suppliers', { key: customerKey });
    expect(wrongScope.status).toBe(403);
    expect(await wrongScope.json()).toMatchObject({ code: 'AUTH.INSUFFICIENT_SCOPE', requiredScopes: ['ops', 'supplier'] });
  });

  it('refuses a bad body with a 400 problem naming each field, and unknown fields too', async () => {
    const res = await call('POST', '/v1/suppliers', {
      key: supplierKeyA,
      idempotencyKey: randomUUID(),
      body: { name: '', source: 'garage', extra: true },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { code: string; errors: { field: string }[] };
    expect(problem.code).toBe('VALIDATION.FAILED');
    expect(problem.errors.map((e) => e.field).sort()).toEqual(['extra', 'name', 'source']);

    const malformed = await call('POST', '/v1/suppliers', { key: supplierKeyA, idempotencyKey: randomUUID(), rawBody: '{"name":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ status: 400, code: expect.any(String) });
  });

  it('maps a domain refusal to a problem with its stable code', async () => {
    const res = await call('POST', '/v1/suppliers', {
      key: supplierKeyA,
      idempotencyKey: randomUUID(),
      body: { name: 'Render pool', source: 'partner_network' },
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'SUPPLIER.PARTNER_NETWORK_REQUIRED' });
  });

  it('takes an optional Idempotency-Key: without one nothing is deduplicated; with one a retry replays the first response and other bytes are refused', async () => {
    const plain = { name: 'No Key Farm', source: 'individual' };
    const first = await call('POST', '/v1/suppliers', { key: supplierKeyA, body: plain });
    const second = await call('POST', '/v1/suppliers', { key: supplierKeyA, body: plain });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(((await first.json()) as { supplierId: string }).supplierId).not.toBe(((await second.json()) as { supplierId: string }).supplierId);

    const idempotencyKey = randomUUID();
    const body = { name: 'Ridge Farm', source: 'mining_farm', payoutWallet: TOKEN_PROGRAM };
    const created = await call('POST', '/v1/suppliers', { key: supplierKeyA, idempotencyKey, body });
    expect(created.status).toBe(201);
    const supplier = (await created.json()) as { supplierId: string; tenantId: string };
    expect(supplier.tenantId).toBe('tenant-a');

    const retry = await call('POST', '/v1/suppliers', { key: supplierKeyA, idempotencyKey, body });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(supplier);

    const reused = await call('POST', '/v1/suppliers', { key: supplierKeyA, idempotencyKey, body: { ...body, name: 'Other' } });
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ code: 'IDEMPOTENCY.KEY_REUSED' });
    const badKey = await call('POST', '/v1/suppliers', { key: supplierKeyA, idempotencyKey: 'has space', body });
    expect(await badKey.json()).toMatchObject({ status: 400, code: 'IDEMPOTENCY.KEY_INVALID' });

    // The same key from another tenant is that tenant's own key: no clash.
    const otherTenant = await call('POST', '/v1/suppliers', { key: supplierKeyB, idempotencyKey, body });
    expect(otherTenant.status).toBe(201);
    expect(((await otherTenant.json()) as { supplierId: string }).supplierId).not.toBe(supplier.supplierId);

    // The list is the catalogue projection: it shows the supplier once it has consumed the event.
    const listA = await waitFor('the supplier in the catalogue', async () => {
      const page = (await (await call('GET', '/v1/suppliers', { key: supplierKeyA })).json()) as { items: { name: string }[] };
      return page.items.some((s) => s.name === 'Ridge Farm') ? page : undefined;
    });
    expect(listA.items.filter((s) => s.name === 'Ridge Farm')).toHaveLength(1);
  });

  it('answers 409 while a live process runs the first request with a key, and lets a retry rerun a key whose process died', async () => {
    const body = { name: 'Crashy Farm', source: 'individual' };
    const fingerprint = requestFingerprint('POST', '/v1/suppliers', JSON.stringify(body));
    const db = svc.app.get(DataSource);
    const running = randomUUID();
    const died = randomUUID();
    await db.query(`insert into idempotency_keys (tenant_id, idempotency_key, request_fingerprint, created_at) values ('tenant-a', $1, $2, now()), ('tenant-a', $3, $2, now())`, [running, fingerprint, died]);
    // A live process holds the key's lock (its session ends with it); the dead one holds nothing.
    const holder = db.createQueryRunner();
    await holder.connect();
    try {
      await holder.query(`select pg_advisory_lock(hashtext(current_schema() || ':' || 'tenant-a'), hashtext($1))`, [running]);
      const inProgress = await call('POST', '/v1/suppliers', { key: supplierKeyA, idempotencyKey: running, body });
      expect(inProgress.status).toBe(409);
      expect(await inProgress.json()).toMatchObject({ code: 'IDEMPOTENCY.REQUEST_IN_PROGRESS' });
    } finally {
      await holder.release();
    }
    const reclaimed = await call('POST', '/v1/suppliers', { key: supplierKeyA, idempotencyKey: died, body });
    expect(reclaimed.status).toBe(201);
    const stale = await call('POST', '/v1/suppliers', { key: supplierKeyA, idempotencyKey: died, body: { ...body, name: 'Other' } });
    expect(await stale.json()).toMatchObject({ code: 'IDEMPOTENCY.KEY_REUSED' });
  });

  it('purges idempotency records past their retention', async () => {
    const db = svc.app.get(DataSource);
    const old = randomUUID();
    await db.query(`insert into idempotency_keys (tenant_id, idempotency_key, request_fingerprint, created_at) values ('tenant-a', $1, $2, now() - interval '25 hours')`, [old, 'f'.repeat(64)]);
    const purged = await svc.app.get(IdempotencyInterceptor).purgeExpired();
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await db.query(`select 1 from idempotency_keys where idempotency_key = $1`, [old])).toHaveLength(0);
    expect((await db.query(`select count(*)::int as n from idempotency_keys where created_at > now() - interval '1 hour'`))[0].n).toBeGreaterThan(0);
  });

  it('shows a tenant only its own suppliers, pages with a cursor, and lets ops see all', async () => {
    for (const name of ['B1', 'B2', 'B3']) {
      const res = await call('POST', '/v1/suppliers', { key: supplierKeyB, idempotencyKey: randomUUID(), body: { name, source: 'data_center' } });
      expect(res.status).toBe(201);
    }
    await waitFor('four suppliers of tenant-b in the catalogue', async () => {
      const page = (await (await call('GET', '/v1/suppliers', { key: supplierKeyB })).json()) as { items: unknown[] };
      return page.items.length === 4 ? page : undefined;
    });
    const page1 = (await (await call('GET', '/v1/suppliers?limit=2', { key: supplierKeyB })).json()) as { items: { name: string; supplierId: string }[]; nextCursor?: string };
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toBeDefined();
    const page2 = (await (await call('GET', `/v1/suppliers?limit=2&cursor=${page1.nextCursor}`, { key: supplierKeyB })).json()) as {
      items: { name: string; supplierId: string }[];
      nextCursor?: string;
    };
    const namesB = [...page1.items, ...page2.items].map((s) => s.name);
    // tenant-b also owns the 'Ridge Farm' it registered in the idempotency test above.
    expect(namesB).toEqual(['Ridge Farm', 'B1', 'B2', 'B3']);
    expect(page2.nextCursor).toBeUndefined();

    const foreign = await call('GET', `/v1/suppliers/${page1.items[0]!.supplierId}`, { key: supplierKeyA });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ code: 'SUPPLIER.NOT_FOUND' });

    const asOps = await call('GET', `/v1/suppliers/${page1.items[0]!.supplierId}`, { key: svc.opsKey });
    expect(asOps.status).toBe(200);
    const all = (await (await call('GET', '/v1/suppliers?limit=200', { key: svc.opsKey })).json()) as { items: { tenantId: string }[] };
    expect(new Set(all.items.map((s) => s.tenantId))).toEqual(new Set(['tenant-a', 'tenant-b']));

    const badCursor = await call('GET', '/v1/suppliers?cursor=zzz', { key: supplierKeyB });
    expect(await badCursor.json()).toMatchObject({ status: 400, code: 'PAGINATION.INVALID_CURSOR' });
    const badId = await call('GET', '/v1/suppliers/not-a-uuid', { key: supplierKeyB });
    expect(await badId.json()).toMatchObject({ status: 400, code: 'REQUEST.INVALID_ID' });
  });
});
