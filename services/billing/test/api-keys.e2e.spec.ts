import { deleteTestTopics, startTestService, testConnections, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { InventoryConfig } from '../../inventory/src/inventory.config';
import { inventoryService } from '../../inventory/src/inventory.module';
import type { BillingConfig } from '../src/billing.config';
import { billingService } from '../src/billing.module';

/** Billing and inventory as two real services on the real stack (own schemas, one topic
 *  namespace): keys issued through billing's API reach inventory through Kafka only. */
describe('organizations and API keys, valid everywhere', () => {
  const ns = testNamespace('billing-keys');
  const inventoryNs = testNamespace('billing-keys-inv');
  let billing: RunningTestService<BillingConfig>;
  let inventory: RunningTestService<InventoryConfig>;

  beforeAll(async () => {
    // Together, as a deployment starts them: both create the namespace's topics at once.
    [billing, inventory] = await Promise.all([
      startTestService(billingService, { schema: ns.schema, serviceName: 'billing', topicPrefix: ns.topicPrefix }),
      startTestService(inventoryService, { schema: inventoryNs.schema, serviceName: 'inventory', topicPrefix: ns.topicPrefix }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([billing?.close(), inventory?.close()]);
    await deleteTestTopics(ns.topicPrefix);
  });

  const call = (base: string, method: string, path: string, opts: { key?: string; body?: unknown; idempotencyKey?: string } = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  const toBilling = (method: string, path: string, opts: Parameters<typeof call>[3] = {}) => call(billing.baseUrl, method, path, opts);
  const toInventory = (method: string, path: string, opts: Parameters<typeof call>[3] = {}) => call(inventory.baseUrl, method, path, opts);

  async function createOrganization(name: string, kind: string): Promise<{ organizationId: string; name: string; kind: string; createdAt: string }> {
    const res = await toBilling('POST', '/v1/organizations', { key: billing.opsKey, idempotencyKey: randomUUID(), body: { name, kind } });
    expect(res.status).toBe(201);
    return (await res.json()) as { organizationId: string; name: string; kind: string; createdAt: string };
  }

  async function issueKey(organizationId: string, key: string, body: unknown = {}): Promise<{ apiKeyId: string; key: string; scopes: string[] }> {
    const res = await toBilling('POST', `/v1/organizations/${organizationId}/api-keys`, { key, body });
    expect(res.status).toBe(201);
    return (await res.json()) as { apiKeyId: string; key: string; scopes: string[] };
  }

  /** Polls until the service answers the key with `status`. */
  const answers = (service: typeof toBilling, path: string, key: string, status: number) =>
    waitFor(`${path} to answer ${status}`, async () => {
      const res = await service('GET', path, { key });
      return res.status === status ? res : undefined;
    }, 20_000);

  it('creates an organization (ops only) and issues it a key that inventory accepts within seconds', async () => {
    const org = await createOrganization('  North Ridge Mining ', 'supplier');
    expect(org).toEqual({ organizationId: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'North Ridge Mining', kind: 'supplier', createdAt: expect.any(String) });

    const issued = await issueKey(org.organizationId, billing.opsKey, { label: 'rack agent' });
    expect(issued).toMatchObject({ apiKeyId: expect.any(String), scopes: ['supplier'], organizationId: org.organizationId, label: 'rack agent' });
    expect(issued.key).toMatch(/^ionet_supplier_[A-Za-z0-9_-]{43}$/);

    // Inventory never called billing: it learnt the key from ionet.billing.v1.
    await answers(toInventory, '/v1/suppliers', issued.key, 200);
    const registered = await toInventory('POST', '/v1/suppliers', { key: issued.key, idempotencyKey: randomUUID(), body: { name: 'Rack 1', source: 'mining_farm' } });
    expect(registered.status).toBe(201);
    expect(await registered.json()).toMatchObject({ tenantId: org.organizationId });

    const me = await answers(toBilling, '/v1/me', issued.key, 200);
    expect(await me.json()).toEqual({
      apiKeyId: issued.apiKeyId,
      organizationId: org.organizationId,
      scopes: ['supplier'],
      organization: { organizationId: org.organizationId, name: 'North Ridge Mining', kind: 'supplier', createdAt: org.createdAt },
    });
    const opsMe = await toBilling('GET', '/v1/me', { key: billing.opsKey });
    expect(await opsMe.json()).toEqual({ apiKeyId: 'bootstrap', organizationId: 'ops', scopes: ['ops'], organization: null });
  });

  it('publishes the key hash and scopes, never the key', async () => {
    const org = await createOrganization('Acme AI', 'customer');
    const issued = await issueKey(org.organizationId, billing.opsKey);
    const db = new Client({ connectionString: testConnections().postgresUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ payload: Buffer }>(`select payload from ${ns.schema}.events where stream_id = $1`, [issued.apiKeyId]);
      expect(rows).toHaveLength(1);
      const payload = rows[0]!.payload.toString('latin1');
      expect(payload).not.toContain(issued.key.slice(-43));
      expect(payload).toContain(createHash('sha256').update(issued.key).digest('hex'));
    } finally {
      await db.end();
    }
  });

  it("lets an organization's key issue keys for itself only, with its kind's scope only; only ops create organizations", async () => {
    const acme = await createOrganization('Acme', 'customer');
    const other = await createOrganization('Other', 'customer');
    const first = await issueKey(acme.organizationId, billing.opsKey);
    // Billing accepts a key it issued at once, before its own consumer has seen the event.
    expect((await toBilling('GET', '/v1/me', { key: first.key })).status).toBe(200);

    const own = await issueKey(acme.organizationId, first.key, { scopes: ['customer'] });
    expect(own.scopes).toEqual(['customer']);

    const foreign = await toBilling('POST', `/v1/organizations/${other.organizationId}/api-keys`, { key: first.key, body: {} });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ code: 'ORGANIZATION.NOT_FOUND' });

    const widened = await toBilling('POST', `/v1/organizations/${acme.organizationId}/api-keys`, { key: first.key, body: { scopes: ['ops'] } });
    expect(widened.status).toBe(422);
    expect(await widened.json()).toMatchObject({ code: 'API_KEY.SCOPE_NOT_ALLOWED' });

    const orgByCustomer = await toBilling('POST', '/v1/organizations', { key: first.key, idempotencyKey: randomUUID(), body: { name: 'Mine', kind: 'supplier' } });
    expect(orgByCustomer.status).toBe(403);
    expect(await orgByCustomer.json()).toMatchObject({ code: 'AUTH.INSUFFICIENT_SCOPE' });

    const unknownOrg = await toBilling('POST', `/v1/organizations/${randomUUID()}/api-keys`, { key: billing.opsKey, body: {} });
    expect(unknownOrg.status).toBe(404);
    const badId = await toBilling('POST', '/v1/organizations/not-a-uuid/api-keys', { key: billing.opsKey, body: {} });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ code: 'REQUEST.INVALID_ID' });
  });

  it('issues nothing twice for a retried POST with the same Idempotency-Key', async () => {
    const org = await createOrganization('Retry Co', 'partner_network');
    const idempotencyKey = randomUUID();
    const first = await toBilling('POST', `/v1/organizations/${org.organizationId}/api-keys`, { key: billing.opsKey, idempotencyKey, body: {} });
    expect(first.status).toBe(201);
    const issued = (await first.json()) as { apiKeyId: string; key: string; scopes: string[] };
    expect(issued.key).toMatch(/^ionet_partner_network_/);
    const retry = await toBilling('POST', `/v1/organizations/${org.organizationId}/api-keys`, { key: billing.opsKey, idempotencyKey, body: {} });
    expect(retry.status).toBe(409);
    expect(await retry.json()).toMatchObject({ code: 'API_KEY.ALREADY_EXISTS' });
  });

  it("lists an organization's keys (never the keys), revoked ones marked, a page at a time, to its own keys and ops only", async () => {
    const org = await createOrganization('Listed Co', 'customer');
    const first = await issueKey(org.organizationId, billing.opsKey, { label: 'first' });
    const second = await issueKey(org.organizationId, billing.opsKey, { label: 'second' });
    expect((await toBilling('DELETE', `/v1/api-keys/${first.apiKeyId}`, { key: billing.opsKey })).status).toBe(204);
    type Listed = { items: { apiKeyId: string; label: string; displayPrefix: string; revokedAt: string | null }[]; nextCursor?: string };
    const all = await waitFor('both keys listed, the first revoked', async () => {
      const res = await toBilling('GET', `/v1/organizations/${org.organizationId}/api-keys`, { key: second.key });
      const body = res.status === 200 ? ((await res.json()) as Listed) : undefined;
      return body?.items.length === 2 && body.items[0]!.revokedAt ? body : undefined;
    }, 20_000);
    expect(all.items.map((k) => [k.apiKeyId, k.label, k.revokedAt === null])).toEqual([
      [first.apiKeyId, 'first', false],
      [second.apiKeyId, 'second', true],
    ]);
    expect(second.key.startsWith(all.items[1]!.displayPrefix)).toBe(true);
    expect(JSON.stringify(all)).not.toContain(second.key);

    const page1 = (await (await toBilling('GET', `/v1/organizations/${org.organizationId}/api-keys?limit=1`, { key: billing.opsKey })).json()) as Listed;
    expect(page1.items.map((k) => k.apiKeyId)).toEqual([first.apiKeyId]);
    const page2 = (await (await toBilling('GET', `/v1/organizations/${org.organizationId}/api-keys?limit=1&cursor=${page1.nextCursor}`, { key: billing.opsKey })).json()) as Listed;
    expect(page2).toEqual({ items: [expect.objectContaining({ apiKeyId: second.apiKeyId })] });

    const stranger = await issueKey((await createOrganization('Stranger', 'customer')).organizationId, billing.opsKey);
    const foreign = await toBilling('GET', `/v1/organizations/${org.organizationId}/api-keys`, { key: stranger.key });
    expect(foreign.status).toBe(404);
  });

  it('revokes a key: every service refuses it within seconds, and a process started later never accepts it', async () => {
    const org = await createOrganization('Revoked Farm', 'supplier');
    const keep = await issueKey(org.organizationId, billing.opsKey);
    const doomed = await issueKey(org.organizationId, billing.opsKey);
    await answers(toInventory, '/v1/suppliers', doomed.key, 200);
    await answers(toInventory, '/v1/suppliers', keep.key, 200);

    const other = await createOrganization('Someone Else', 'supplier');
    const otherKey = await issueKey(other.organizationId, billing.opsKey);
    await answers(toBilling, '/v1/me', otherKey.key, 200);
    const foreignRevoke = await toBilling('DELETE', `/v1/api-keys/${doomed.apiKeyId}`, { key: otherKey.key });
    expect(foreignRevoke.status).toBe(404);

    // An organization may revoke its own keys.
    await answers(toBilling, '/v1/me', keep.key, 200);
    const revoked = await toBilling('DELETE', `/v1/api-keys/${doomed.apiKeyId}`, { key: keep.key });
    expect(revoked.status).toBe(204);
    expect((await toBilling('DELETE', `/v1/api-keys/${doomed.apiKeyId}`, { key: billing.opsKey })).status).toBe(204);

    const refused = await answers(toInventory, '/v1/suppliers', doomed.key, 401);
    expect(await refused.json()).toMatchObject({ code: 'AUTH.INVALID_API_KEY' });
    await answers(toBilling, '/v1/me', doomed.key, 401);
    expect((await toInventory('GET', '/v1/suppliers', { key: keep.key })).status).toBe(200);

    // An API-only process of inventory (no consumer of its own) loads the table at start.
    const apiOnly = await startTestService(inventoryService, {
      schema: inventoryNs.schema,
      serviceName: 'inventory',
      topicPrefix: ns.topicPrefix,
      env: { SERVICE_ROLES: 'api' },
    });
    try {
      expect((await call(apiOnly.baseUrl, 'GET', '/v1/suppliers', { key: keep.key })).status).toBe(200);
      expect((await call(apiOnly.baseUrl, 'GET', '/v1/suppliers', { key: doomed.key })).status).toBe(401);
      // And follows revocations the consumer process writes, without a consumer of its own.
      expect((await toBilling('DELETE', `/v1/api-keys/${keep.apiKeyId}`, { key: billing.opsKey })).status).toBe(204);
      await answers((m, p, o) => call(apiOnly.baseUrl, m, p, o), '/v1/suppliers', keep.key, 401);
    } finally {
      await apiOnly.app.close();
    }
  });
});
