import { AGENT_PATHS, chainHeartbeat, generateAgentKey, processDigest, signAgentRequest, type AgentKey, type SignedHeartbeat } from '@ionet/agent-protocol';
import { waitFor } from '@ionet/testing';
import { gatewayClient } from '../support/gateway-client';
import { keyIssuer, type IssuedKey } from '../support/keys';
import { launchStack, type RunningStack } from '../support/stack-launcher';

const LAUNCH_TIMEOUT_MS = 180_000;
const WALLET = '11111111111111111111111111111111';

/**
 * A worker agent's signed traffic through the one front door: a device registered at inventory
 * reaches verification as an event, and its agent's signed heartbeats and work polls pass the
 * gateway to verification unchanged (the signature covers path and body as sent).
 */
describe('a worker agent through the gateway', () => {
  let stack: RunningStack;
  let supplier: IssuedKey;
  const agent: AgentKey = generateAgentKey();
  let deviceId: string;

  beforeAll(async () => {
    stack = await launchStack({ label: 'e2e-agent' });
    supplier = await keyIssuer(stack).organizationWithKey('Agent Farm', 'supplier', 'supplier');
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  const signed = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { ...signAgentRequest({ key: agent, method, pathAndQuery: path, body: raw, nowMs: Date.now() }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : raw,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('accepts the agent\'s signed heartbeats once inventory\'s DeviceRegistered reached verification', async () => {
    const a = gatewayClient(stack.gatewayUrl, supplier.key);
    const s = await a.call('POST', '/v1/suppliers', { name: 'Agent Farm', source: 'individual', payoutWallet: WALLET });
    expect(s.status).toBe(201);
    const device = await a.call('POST', `/v1/suppliers/${s.body.supplierId as string}/devices`, {
      agentPublicKey: agent.address,
      deviceClass: 'gpu',
      gpu: { model: 'RTX-4090', vramMib: 24_576, count: 1 },
      cpuCores: 16,
      ramMib: 65_536,
      diskGib: 1_000,
      countryCode: 'de',
      region: 'eu-central',
      connectivityTier: 'high',
      securityTier: 'standard',
      askPricePerGpuHour: { amountBaseUnits: '500000', asset: 'USDC' },
    });
    expect(device.status).toBe(201);
    deviceId = device.body.deviceId as string;

    let last: SignedHeartbeat | undefined;
    const next = () => chainHeartbeat(last, { deviceId, at: new Date().toISOString(), leaseId: null, gpus: [], processDigest: processDigest([]), foreignProcessCount: 0 }, agent);
    const first = next();
    const stored = await waitFor(
      'verification knowing the device (503 with Retry-After until then)',
      async () => {
        const res = await signed('POST', AGENT_PATHS.heartbeats, { heartbeats: [first] });
        if (res.status === 503) expect(res.body.code).toBe('AGENT.DEVICE_NOT_YET_KNOWN');
        return res.status === 200 ? res : undefined;
      },
      30_000,
      250,
    );
    expect(stored.body).toMatchObject({ accepted: 1, lastSequence: 0, lastHash: first.hash });
    last = first;
    const batch = [next()];
    last = batch[0];
    batch.push(next());
    expect((await signed('POST', AGENT_PATHS.heartbeats, { heartbeats: batch })).body).toMatchObject({ accepted: 2, lastSequence: 2 });
  });

  it('answers the work poll and the agent\'s status view through the gateway', async () => {
    const work = await signed('GET', `${AGENT_PATHS.work}?waitMs=0`);
    expect(work).toMatchObject({ status: 200, body: { clockRate: 1 } });
    const view = await signed('GET', AGENT_PATHS.verification);
    expect(view).toMatchObject({ status: 200, body: { deviceId, presence: 'online', chain: { lastSequence: 2 } } });
  });

  it('serves the device\'s eligibility to its supplier through the gateway, and refuses an unended epoch', async () => {
    const a = gatewayClient(stack.gatewayUrl, supplier.key);
    const answer = await waitFor('verification accepting the supplier key', async () => {
      const res = await a.call('GET', `/v1/devices/${deviceId}/eligibility?epoch=1000`);
      return res.status === 401 ? undefined : res;
    }, 20_000, 250);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ deviceId, epoch: 1000, eligible: 'no', stake: { status: 'unknown_until_tokenomics' } });
    expect((await a.call('GET', `/v1/devices/${deviceId}/eligibility?epoch=99999999`)).status).toBe(400);
  });
});
