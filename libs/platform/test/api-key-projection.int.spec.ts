import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { billingV1, type EventMetadata } from '@ionet/contracts';
import type { ConsumedEvent } from '@ionet/eventing';
import { createTestSchema, dropTestSchema, schemaPoolConfig, testConnections, testNamespace } from '@ionet/testing';
import { context } from '@opentelemetry/api';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ApiKeyMap, type ApiKeyRow } from '../src/auth/api-key-map';
import { API_KEY_MIGRATIONS } from '../src/auth/api-key-changes.migration';
import { applyApiKeyEvents } from '../src/auth/api-key.projection';
import { dataSourceOptions } from '../src/persistence/data-source-options';
import { runMigrations } from '../src/persistence/migrate';
import { PLATFORM_MIGRATIONS } from '../src/persistence/platform-tables.migration';

const ns = testNamespace('api-key-projection');
const at = new Date('2026-12-01T10:00:00Z');
const later = new Date('2026-12-01T11:00:00Z');

function consumed(type: string, event: ConsumedEvent['event'], offset: number): ConsumedEvent {
  return {
    event,
    metadata: { eventType: type, eventId: `e-${offset}` } as EventMetadata,
    type: {} as ConsumedEvent['type'],
    topic: 'billing',
    partition: 0,
    offset: BigInt(offset),
    key: null,
    headers: {},
    traceContext: context.active(),
  };
}

const issued = (id: string, hash: string, organizationId: string, offset: number) =>
  consumed(
    'ionet.billing.v1.ApiKeyIssued',
    create(billingV1.ApiKeyIssuedSchema, {
      apiKeyId: id,
      organizationId,
      keyHash: hash,
      scopes: [billingV1.ApiKeyScope.SUPPLIER],
      displayPrefix: 'ionet_supplier_abcd',
      label: 'agent',
      issuedAt: timestampFromDate(at),
    }),
    offset,
  );
const revoked = (id: string, hash: string, organizationId: string, offset: number) =>
  consumed('ionet.billing.v1.ApiKeyRevoked', create(billingV1.ApiKeyRevokedSchema, { apiKeyId: id, organizationId, keyHash: hash, revokedAt: timestampFromDate(later) }), offset);
const orgCreated = (offset: number) =>
  consumed('ionet.billing.v1.OrganizationCreated', create(billingV1.OrganizationCreatedSchema, { organizationId: 'org', name: 'x', kind: billingV1.OrganizationKind.CUSTOMER, createdAt: timestampFromDate(at) }), offset);

const K1 = '0190b1f2-7c1e-7000-8000-000000000001';
const K2 = '0190b1f2-7c1e-7000-8000-000000000002';
const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);

describe('the API key projection', () => {
  let dataSource: DataSource;
  let pool: Pool;

  beforeAll(async () => {
    await createTestSchema(ns.schema);
    const conn = testConnections();
    dataSource = await new DataSource(
      dataSourceOptions({ DATABASE_URL: conn.postgresUrl, DATABASE_POOL_MAX: 2, DATABASE_SCHEMA: ns.schema, SERVICE_NAME: 'platform-test' }, { entities: [], migrations: [...PLATFORM_MIGRATIONS, ...API_KEY_MIGRATIONS] }),
    ).initialize();
    await runMigrations(dataSource);
    pool = new Pool({ ...schemaPoolConfig(ns.schema), max: 2 });
  });

  afterAll(async () => {
    await pool?.end();
    await dataSource?.destroy();
    await dropTestSchema(ns.schema);
  });

  async function applyInOneTransaction(events: ConsumedEvent[]): Promise<ApiKeyRow[]> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const rows = await applyApiKeyEvents(events, client as never);
      await client.query('commit');
      return rows;
    } finally {
      client.release();
    }
  }

  const table = async () =>
    (await pool.query(`select id, key_hash, tenant_id, scopes, label, revoked_at from api_keys order by id`)).rows as (ApiKeyRow & { label: string })[];

  it('leaves the same rows and the same live keys whether events come once, twice, or a revocation before its issue', async () => {
    const inOrder = [issued(K1, H1, 'org-a', 1), issued(K2, H2, 'org-b', 2), orgCreated(3), revoked(K1, H1, 'org-a', 4)];
    const map = new ApiKeyMap();
    for (const row of await applyInOneTransaction(inOrder)) map.apply(row);
    const once = await table();
    expect(once).toEqual([
      { id: K1, key_hash: H1, tenant_id: 'org-a', scopes: ['supplier'], label: 'agent', revoked_at: later },
      { id: K2, key_hash: H2, tenant_id: 'org-b', scopes: ['supplier'], label: 'agent', revoked_at: null },
    ]);
    expect(map.get(H1)).toBeUndefined();
    expect(map.get(H2)).toEqual({ keyId: K2, tenantId: 'org-b', scopes: ['supplier'] });

    // Every event again, in reverse order (the revocation before its issue), in separate batches.
    const replayMap = new ApiKeyMap();
    for (const event of [...inOrder].reverse()) for (const row of await applyInOneTransaction([event])) replayMap.apply(row);
    expect(await table()).toEqual(once);
    expect(replayMap.get(H1)).toBeUndefined();
    expect(replayMap.get(H2)).toEqual(map.get(H2));

    await pool.query('truncate api_keys');
    for (const event of [revoked(K1, H1, 'org-a', 4), issued(K1, H1, 'org-a', 1), issued(K2, H2, 'org-b', 2)]) await applyInOneTransaction([event]);
    expect(await table()).toEqual(once);
  });

  it('stamps changed_at on any update, also one written by hand, so every key map sees it', async () => {
    const before = (await pool.query(`select changed_at from api_keys where id = $1`, [K2])).rows[0].changed_at as Date;
    await pool.query(`update api_keys set revoked_at = now() where id = $1`, [K2]);
    const after = (await pool.query(`select changed_at from api_keys where id = $1`, [K2])).rows[0].changed_at as Date;
    expect(after.getTime()).toBeGreaterThan(before.getTime());
  });
});
