import { PROBLEM_CONTENT_TYPE } from '@ionet/platform';
import { waitFor } from '@ionet/testing';
import { gatewayClient } from '../support/gateway-client';
import { keyIssuer, type IssuedKey, type KeyIssuer } from '../support/keys';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const WALLET = '11111111111111111111111111111111';
const AGENT_KEY = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const LAUNCH_TIMEOUT_MS = 180_000;
const REVOCATION_SEEN_WITHIN_MS = 20_000;

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

/**
 * The first scenario across real processes: every service that exists and the gateway, one base URL.
 * Organizations and keys are created in billing with the ops key, a supplier and its device are registered and read back with one organization's key, the other organization sees
 * none of it, and a revoked key stops working through the gateway within seconds.
 */
describe('two organizations through the gateway', () => {
  let stack: RunningStack;
  let issuer: KeyIssuer;
  let keyA: IssuedKey;
  let keyB: IssuedKey;
  let supplierId: string;
  let deviceId: string;

  beforeAll(async () => {
    stack = await launchStack({ label: 'e2e-tenants' });
    issuer = keyIssuer(stack);
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('serves one merged OpenAPI document with the operations of every running service', async () => {
    const doc = (await (await fetch(`${stack.gatewayUrl}/openapi.json`)).json()) as { paths: Record<string, unknown>; info: Record<string, { available: string[] }> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/suppliers', '/v1/devices', '/v1/devices/{deviceId}']));
    expect(doc.info['x-ionet-services']!.available).toEqual(expect.arrayContaining(Object.keys(stack.services)));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/organizations', '/v1/organizations/{organizationId}/api-keys', '/v1/api-keys/{apiKeyId}', '/v1/me']));
    // Ops routes are documented for ops keys only (each service's /v1/ops/openapi.json), not publicly.
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/v1/ops/'))).toEqual([]);
  });

  it('reaches each service\'s ops routes as /v1/ops/{service}/... with the ops key', async () => {
    const ops = gatewayClient(stack.gatewayUrl, stack.opsKey);
    for (const service of Object.keys(stack.services)) {
      const doc = await ops.call('GET', `/v1/ops/${service}/openapi.json`);
      expect({ service, status: doc.status }).toEqual({ service, status: 200 });
      expect(Object.keys(doc.body.paths as object)).toEqual(expect.arrayContaining(['/v1/ops/projections', '/v1/ops/dead-letters']));
    }
    expect((await ops.call('GET', '/v1/ops/inventory/projections')).status).toBe(200);
  });

  it('creates two supplier organizations, each with its own key', async () => {
    keyA = await issuer.organizationWithKey('Ridge Farm', 'supplier', 'supplier');
    keyB = await issuer.organizationWithKey('Valley Compute', 'supplier', 'supplier');
    expect(keyA.key).toMatch(/^ionet_supplier_/);
    expect(keyA.tenantId).not.toBe(keyB.tenantId);
    const me = await gatewayClient(stack.gatewayUrl, keyA.key).call('GET', '/v1/me');
    expect(me).toMatchObject({ status: 200, body: { apiKeyId: keyA.keyId, scopes: ['supplier'], organization: { organizationId: keyA.tenantId, kind: 'supplier' } } });
  });

  it('keeps the ops routes from a supplier key', async () => {
    const denied = await gatewayClient(stack.gatewayUrl, keyA.key).call('GET', '/v1/ops/inventory/projections');
    expect(denied).toMatchObject({ status: 403, contentType: expect.stringContaining(PROBLEM_CONTENT_TYPE) });
  });

  it('registers a supplier and a device with organization A\'s key and reads them back', async () => {
    const a = gatewayClient(stack.gatewayUrl, keyA.key);
    const supplier = await a.call('POST', '/v1/suppliers', { name: 'Ridge Farm', source: 'mining_farm', payoutWallet: WALLET });
    expect(supplier).toMatchObject({ status: 201, body: { tenantId: keyA.tenantId, name: 'Ridge Farm' } });
    supplierId = supplier.body.supplierId as string;
    const device = await a.call('POST', `/v1/suppliers/${supplierId}/devices`, h100);
    expect(device).toMatchObject({ status: 201, body: { supplierId, tenantId: keyA.tenantId, countryCode: 'DE' } });
    deviceId = device.body.deviceId as string;

    const read = await waitFor('the device in the catalogue through the gateway', async () => {
      const res = await a.call('GET', `/v1/devices/${deviceId}`);
      return res.status === 200 ? res.body : undefined;
    });
    expect(read).toEqual(device.body);
    expect((await a.call('GET', `/v1/suppliers/${supplierId}`)).body).toEqual(supplier.body);
    const page = await a.call('GET', '/v1/devices?limit=20');
    expect((page.body.items as { deviceId: string }[]).map((d) => d.deviceId)).toEqual([deviceId]);
  });

  it('shows organization B none of A\'s resources: another tenant\'s id answers 404', async () => {
    const b = gatewayClient(stack.gatewayUrl, keyB.key);
    const device = await b.call('GET', `/v1/devices/${deviceId}`);
    expect(device.status).toBe(404);
    expect(device.contentType).toContain(PROBLEM_CONTENT_TYPE);
    expect((await b.call('GET', `/v1/suppliers/${supplierId}`)).status).toBe(404);
    expect((await b.call('GET', '/v1/devices?limit=20')).body.items).toEqual([]);
    const foreignDevice = await b.call('POST', `/v1/suppliers/${supplierId}/devices`, h100);
    expect(foreignDevice.status).toBe(404);
  });

  it('refuses a revoked key through the gateway within seconds; the other key keeps working', async () => {
    await issuer.revoke(keyA);
    const a = gatewayClient(stack.gatewayUrl, keyA.key);
    const refused = await waitFor(
      'inventory to refuse the revoked key',
      async () => {
        const res = await a.call('GET', `/v1/devices/${deviceId}`);
        return res.status === 401 ? res : undefined;
      },
      REVOCATION_SEEN_WITHIN_MS,
      200,
    );
    expect(refused.contentType).toContain(PROBLEM_CONTENT_TYPE);
    expect((await gatewayClient(stack.gatewayUrl, keyB.key).call('GET', '/v1/devices?limit=20')).status).toBe(200);
  });
});
