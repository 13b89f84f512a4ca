import { generateAgentKey, signAgentRequest, type AgentKey } from '@ionet/agent-protocol';
import { ApiKeyService } from '@ionet/platform';
import { deleteTestTopics, startTestService, testNamespace, type RunningTestService } from '@ionet/testing';
import { inventoryService } from '../src/inventory.module';
import type { InventoryConfig } from '../src/inventory.config';

type Json = Record<string, unknown>;

describe('inventory with the default configuration: simulated GPUs are refused', () => {
  const ns = testNamespace('inventory-no-simulated');
  let svc: RunningTestService<InventoryConfig>;
  let key: string;

  beforeAll(async () => {
    svc = await startTestService(inventoryService, { schema: ns.schema, serviceName: 'inventory', topicPrefix: ns.topicPrefix });
    key = (await svc.app.get(ApiKeyService).issue('tenant-a', ['supplier'])).key;
  });

  afterAll(async () => {
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const enroll = async (agent: AgentKey, token: string, simulated: boolean): Promise<{ status: number; body: Json }> => {
    const raw = JSON.stringify({
      token,
      publicKey: agent.address,
      spec: {
        gpus: [{ model: 'NVIDIA GeForce RTX 4090', vramMib: 24_564, uuid: 'GPU-1' }],
        simulated,
        cpuCores: 16,
        ramMib: 65_536,
        diskGib: 1_000,
        countryCode: 'FR',
        region: 'eu-west',
        connectivity: { downloadMbps: 500, uploadMbps: 300, measured: false },
        agentVersion: '0.1.0',
        hostname: 'desk-1',
      },
    });
    const headers = signAgentRequest({ key: agent, method: 'POST', pathAndQuery: '/v1/agent/enroll', body: raw, nowMs: Date.now() });
    const res = await fetch(`${svc.baseUrl}/v1/agent/enroll`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: raw });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('answers 422 INVENTORY.SIMULATED_DEVICES_NOT_ALLOWED and leaves the token for a detected machine', async () => {
    const post = async (path: string, body: unknown) =>
      (await fetch(`${svc.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Json>;
    const supplier = await post('/v1/suppliers', { name: 'Desk', source: 'individual', payoutWallet: '11111111111111111111111111111111' });
    const { token } = (await post(`/v1/suppliers/${supplier.supplierId as string}/enrollment-tokens`, {})) as { token: string };
    const agent = generateAgentKey();
    expect(await enroll(agent, token, true)).toMatchObject({ status: 422, body: { code: 'INVENTORY.SIMULATED_DEVICES_NOT_ALLOWED' } });
    expect(await enroll(agent, token, false)).toMatchObject({ status: 201, body: { status: 'pending', supplierId: supplier.supplierId } });
  });
});
