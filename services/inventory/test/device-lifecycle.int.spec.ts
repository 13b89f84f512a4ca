import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { generateAgentKey, signAgentRequest, type AgentKey } from '@ionet/agent-protocol';
import { leasingV1, newEventId, verificationV1 } from '@ionet/contracts';
import { ApiKeyService } from '@ionet/platform';
import { deleteTestTopics, sendFact, startTestService, testKafka, testNamespace, waitFor, type RunningTestService } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { inventoryService } from '../src/inventory.module';
import type { InventoryConfig } from '../src/inventory.config';

type Json = Record<string, unknown>;
const WALLET = '11111111111111111111111111111111';
/** An hour a wall minute: a one-minute token expires in a wall second. */
const CLOCK_RATE = 60;

describe('inventory supply side on real Postgres, Kafka and Redis: enrollment, lifecycle, partner fleets', () => {
  const ns = testNamespace('inventory-lifecycle');
  let svc: RunningTestService<InventoryConfig>;
  let producer: Producer;
  const keys: Record<'a' | 'b' | 'render' | 'stranger', string> = { a: '', b: '', render: '', stranger: '' };

  beforeAll(async () => {
    svc = await startTestService(inventoryService, {
      schema: ns.schema,
      serviceName: 'inventory',
      topicPrefix: ns.topicPrefix,
      env: { ALLOW_SIMULATED_DEVICES: 'true', CLOCK_RATE: String(CLOCK_RATE), CLOCK_ORIGIN: new Date().toISOString() },
    });
    const apiKeys = svc.app.get(ApiKeyService);
    keys.a = (await apiKeys.issue('tenant-a', ['supplier'])).key;
    keys.b = (await apiKeys.issue('tenant-b', ['supplier'])).key;
    keys.render = (await apiKeys.issue('tenant-render', ['partner_network'])).key;
    keys.stranger = (await apiKeys.issue('tenant-stranger', ['partner_network'])).key;
    producer = testKafka('inventory-lifecycle-facts').producer({ idempotent: true });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await svc?.close();
    await deleteTestTopics(ns.topicPrefix);
  });

  const call = async (method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${svc.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  /** A request signed as the agent protocol says; `nonce` lets a test replay one. */
  const agentCall = async (key: AgentKey, method: string, path: string, body?: unknown, nonce?: string): Promise<{ status: number; body: Json }> => {
    const raw = body === undefined ? undefined : JSON.stringify(body);
    const headers = signAgentRequest({ key, method, pathAndQuery: path, body: raw, nowMs: Date.now(), ...(nonce ? { nonce } : {}) });
    const res = await fetch(`${svc.baseUrl}${path}`, { method, headers: { ...headers, ...(raw === undefined ? {} : { 'content-type': 'application/json' }) }, body: raw });
    return { status: res.status, body: (await res.json()) as Json };
  };

  /** Publishes a fact as its producing service's relay would (envelope, key, type header). */
  const publish = <D extends DescMessage>(context: 'verification' | 'leasing', schema: D, aggregateId: string, data: MessageInitShape<D>, eventId = newEventId()) =>
    sendFact(producer, ns.topicPrefix, context, schema, aggregateId, data, { eventId });
  const ts = (date: Date) => ({ seconds: BigInt(Math.floor(date.getTime() / 1000)), nanos: 0 });

  const agentSpec = (gpus = Array.from({ length: 8 }, (_, i) => ({ model: 'NVIDIA H100 80GB HBM3', vramMib: 81_559, uuid: `GPU-sim-${i}` }))) => ({
    gpus,
    simulated: true,
    cpuCores: 64,
    ramMib: 1_048_576,
    diskGib: 4_000,
    countryCode: 'de',
    region: 'eu-central',
    connectivity: { downloadMbps: 2_000, uploadMbps: 1_500, measured: true },
    agentVersion: '0.1.0',
    hostname: 'rig-1',
  });

  const statusOf = (deviceId: string, key: string, status: string) =>
    waitFor(`device ${deviceId} ${status}`, async () => {
      const res = await call('GET', `/v1/devices/${deviceId}`, key);
      return res.status === 200 && res.body.status === status ? res.body : undefined;
    });

  let supplierId: string;
  const issueToken = async (body: Json = {}) => {
    const res = await call('POST', `/v1/suppliers/${supplierId}/enrollment-tokens`, keys.a, body);
    expect(res.status).toBe(201);
    return res.body as { token: string; enrollmentTokenId: string; expiresAt: string };
  };

  const agent = generateAgentKey();
  let deviceId: string;

  it('issues a single-use enrollment token to the supplier; another tenant is answered 404', async () => {
    const supplier = await call('POST', '/v1/suppliers', keys.a, { name: 'Ridge Farm', source: 'mining_farm', payoutWallet: WALLET });
    expect(supplier.status).toBe(201);
    supplierId = supplier.body.supplierId as string;
    const token = await issueToken({ deviceDefaults: { askPricePerGpuHour: { amountBaseUnits: '2500000', asset: 'USDC' }, securityTier: 'secure' } });
    expect(token.token).toMatch(/^ionet_enroll_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    // 24 platform hours ahead by default.
    expect(Date.parse(token.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect((await call('POST', `/v1/suppliers/${supplierId}/enrollment-tokens`, keys.b, {})).body).toMatchObject({ code: 'SUPPLIER.NOT_FOUND' });
    expect((await call('POST', `/v1/suppliers/${supplierId}/enrollment-tokens`, keys.a, { expiresInSeconds: 5 })).status).toBe(400);
  });

  it('enrolls a signed agent: pending, simulated, normalised, priced from its token; a retry by the same key gets the same device', async () => {
    const { token } = await issueToken({ deviceDefaults: { askPricePerGpuHour: { amountBaseUnits: '2500000', asset: 'USDC' }, securityTier: 'secure' } });
    const enrolled = await agentCall(agent, 'POST', '/v1/agent/enroll', { token, publicKey: agent.address, spec: agentSpec() });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body).toMatchObject({ supplierId, status: 'pending', clockRate: CLOCK_RATE });
    expect(Number.isNaN(Date.parse(enrolled.body.platformTime as string))).toBe(false);
    deviceId = enrolled.body.deviceId as string;

    const retried = await agentCall(agent, 'POST', '/v1/agent/enroll', { token, publicKey: agent.address, spec: agentSpec() });
    expect(retried).toMatchObject({ status: 201, body: { deviceId } });

    const other = generateAgentKey();
    const stolen = await agentCall(other, 'POST', '/v1/agent/enroll', { token, publicKey: other.address, spec: agentSpec() });
    expect(stolen).toMatchObject({ status: 409, body: { code: 'INVENTORY.ENROLLMENT_TOKEN_USED' } });

    const view = await statusOf(deviceId, keys.a, 'pending');
    expect(view).toMatchObject({
      supplierId,
      gpu: { model: 'H100-80GB', vramMib: 81_559, count: 8 },
      countryCode: 'DE',
      connectivityTier: 'ultra_high',
      securityTier: 'secure',
      simulated: true,
      multiplier: '10',
      multiplierBps: 100_000,
      askPricePerGpuHour: { amountBaseUnits: '2500000', asset: 'USDC' },
      agentPublicKey: agent.address,
      agent: { hostname: 'rig-1', reportedGpuModel: 'NVIDIA H100 80GB HBM3' },
      statusReason: expect.stringMatching(/^pending: waiting for verification/),
    });

    const mine = await agentCall(agent, 'GET', '/v1/agent/device');
    expect(mine).toMatchObject({ status: 200, body: { deviceId, status: 'pending', simulated: true, clockRate: CLOCK_RATE } });
  });

  it("refuses what the agent protocol refuses: no signature, a replayed nonce, another key's body, unknown and expired tokens", async () => {
    expect((await fetch(`${svc.baseUrl}/v1/agent/device`)).status).toBe(401);
    const nonce = 'replayed-nonce-0123456789';
    expect((await agentCall(agent, 'GET', '/v1/agent/device', undefined, nonce)).status).toBe(200);
    expect((await agentCall(agent, 'GET', '/v1/agent/device', undefined, nonce)).body).toMatchObject({ code: 'AGENT.NONCE_REPLAYED' });

    const fresh = generateAgentKey();
    const { token } = await issueToken();
    expect((await agentCall(fresh, 'POST', '/v1/agent/enroll', { token, publicKey: agent.address, spec: agentSpec() })).status).toBe(400);
    expect((await agentCall(fresh, 'POST', '/v1/agent/enroll', { token: `${token.slice(0, -4)}AAAA`, publicKey: fresh.address, spec: agentSpec() })).body).toMatchObject({
      code: 'INVENTORY.ENROLLMENT_TOKEN_NOT_FOUND',
    });
    expect((await agentCall(fresh, 'POST', '/v1/agent/enroll', { token: 'nonsense', publicKey: fresh.address, spec: agentSpec() })).status).toBe(404);
    expect(await agentCall(fresh, 'GET', '/v1/agent/device')).toMatchObject({ status: 403, body: { code: 'AGENT.UNKNOWN_DEVICE' } });

    const shortLived = await issueToken({ expiresInSeconds: 60 });
    // One platform minute is a wall second at CLOCK_RATE 60.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const late = await agentCall(fresh, 'POST', '/v1/agent/enroll', { token: shortLived.token, publicKey: fresh.address, spec: agentSpec() });
    expect(late).toMatchObject({ status: 410, body: { code: 'INVENTORY.ENROLLMENT_TOKEN_EXPIRED' } });
  });

  it('refuses a mixed-GPU machine with 422 and leaves its token usable; a machine without GPUs enrolls as a CPU device', async () => {
    const { token } = await issueToken();
    const mixed = generateAgentKey();
    const refused = await agentCall(mixed, 'POST', '/v1/agent/enroll', {
      token,
      publicKey: mixed.address,
      spec: agentSpec([
        { model: 'NVIDIA H100 80GB HBM3', vramMib: 81_559, uuid: 'GPU-m-1' },
        { model: 'NVIDIA GeForce RTX 4090', vramMib: 24_564, uuid: 'GPU-m-2' },
      ]),
    });
    expect(refused).toMatchObject({ status: 422, body: { code: 'INVENTORY.MIXED_GPU_MODELS' } });
    const cpu = await agentCall(mixed, 'POST', '/v1/agent/enroll', { token, publicKey: mixed.address, spec: { ...agentSpec([]), simulated: false } });
    expect(cpu.status).toBe(201);
    expect(await statusOf(cpu.body.deviceId as string, keys.a, 'pending')).toMatchObject({ deviceClass: 'cpu', gpu: null, simulated: false, multiplier: '1' });
  });

  it('lets exactly one of eight agents racing for one token enroll', async () => {
    const { token } = await issueToken();
    const racers = Array.from({ length: 8 }, () => generateAgentKey());
    const results = await Promise.all(racers.map((k) => agentCall(k, 'POST', '/v1/agent/enroll', { token, publicKey: k.address, spec: agentSpec() })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    // Every loser is told why (its code named on a failure, not just "false").
    expect(results.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(7).fill('INVENTORY.ENROLLMENT_TOKEN_USED'));
  });

  it("moves the device on verification's verdicts, each applied once however often it is delivered", async () => {
    const qualifiedId = await publish('verification', verificationV1.DeviceQualifiedSchema, deviceId, { deviceId, challengeId: 'ch-1', uptimeSeconds: 600n, qualifiedAt: ts(new Date()) });
    const ready = await statusOf(deviceId, keys.a, 'cluster_ready');
    expect(ready.statusReason).toMatch(/challenge ch-1/);
    // The same event again (a redelivery): nothing new is appended.
    await publish('verification', verificationV1.DeviceQualifiedSchema, deviceId, { deviceId, challengeId: 'ch-1', uptimeSeconds: 600n, qualifiedAt: ts(new Date()) }, qualifiedId);

    const lastSeen = new Date(Date.now() - 90_000);
    await publish('verification', verificationV1.AgentHeartbeatsStoppedSchema, deviceId, { deviceId, lastHeartbeatAt: ts(lastSeen), detectedAt: ts(new Date()) });
    const offline = await statusOf(deviceId, keys.a, 'offline');
    expect(offline.statusReason).toBe(`offline: no heartbeat since ${new Date(Math.floor(lastSeen.getTime() / 1000) * 1000).toISOString()}`);
    expect((await agentCall(agent, 'GET', '/v1/agent/device')).body).toMatchObject({ status: 'offline' });

    await publish('verification', verificationV1.AgentHeartbeatsResumedSchema, deviceId, { deviceId, firstHeartbeatAt: ts(new Date()), resumedAt: ts(new Date()) });
    const back = await statusOf(deviceId, keys.a, 'cluster_ready');
    // Registered, qualified, offline, online: the redelivered qualification added nothing.
    expect(back.version).toBe('4');
  });

  it('pauses and resumes for its own supplier only; another tenant reads 404', async () => {
    expect((await call('POST', `/v1/devices/${deviceId}/pause`, keys.b)).body).toMatchObject({ code: 'DEVICE.NOT_FOUND' });
    expect((await call('GET', `/v1/devices/${deviceId}`, keys.b)).status).toBe(404);
    const paused = await call('POST', `/v1/devices/${deviceId}/pause`, keys.a);
    expect(paused).toMatchObject({ status: 200, body: { status: 'paused', changed: true } });
    expect((await call('POST', `/v1/devices/${deviceId}/pause`, keys.a)).body).toMatchObject({ status: 'paused', changed: false });
    await statusOf(deviceId, keys.a, 'paused');
    const filtered = await call('GET', '/v1/devices?status=paused', keys.a);
    expect((filtered.body.items as Json[]).map((d) => d.deviceId)).toEqual([deviceId]);
    expect((await call('POST', `/v1/devices/${deviceId}/resume`, keys.a)).body).toMatchObject({ status: 'cluster_ready', changed: true });
    await statusOf(deviceId, keys.a, 'cluster_ready');
  });

  it("goes leased when a lease naming it in LeaseCreated's slots activates, refuses a pause then, and is free again when the lease ends", async () => {
    const leaseId = randomUUID();
    const slot = { deviceId, supplierId, gpuCount: 8, pricePerGpuHour: { amountBaseUnits: '2500000', asset: 1 } };
    const money = { amountBaseUnits: '20000000', asset: 1 };
    await publish('leasing', leasingV1.LeaseCreatedSchema, leaseId, {
      leaseId,
      requestId: randomUUID(),
      quoteId: randomUUID(),
      customerId: 'customer-1',
      slots: [slot],
      durationHours: 1,
      computePrice: money,
      reservationFee: money,
      paymentFee: money,
      totalPrice: money,
      paymentAsset: 1,
      createdAt: ts(new Date()),
    } as never);
    await publish('leasing', leasingV1.LeaseActivatedSchema, leaseId, { leaseId, customerId: 'customer-1', activatedAt: ts(new Date()), endsAt: ts(new Date(Date.now() + 3600_000)) });
    const leased = await statusOf(deviceId, keys.a, 'leased');
    expect(leased).toMatchObject({ leaseId, statusReason: `leased: running lease ${leaseId}` });
    expect((await call('POST', `/v1/devices/${deviceId}/pause`, keys.a)).body).toMatchObject({ code: 'DEVICE.LEASED' });

    await publish('leasing', leasingV1.LeaseTerminatedSchema, leaseId, { leaseId, customerId: 'customer-1', reason: 1, hoursUsed: 1, hoursRefundable: 0, terminatedAt: ts(new Date()) });
    expect(await statusOf(deviceId, keys.a, 'cluster_ready')).toMatchObject({ leaseId: null });
  });

  it('blocks on a disqualification with the reason a supplier reads; a fact about an unknown device is dead-lettered', async () => {
    await publish('verification', verificationV1.DeviceDisqualifiedSchema, deviceId, { deviceId, reason: 1, detail: '3 consecutive proof failures (wrong result)', disqualifiedAt: ts(new Date()) });
    const blocked = await statusOf(deviceId, keys.a, 'blocked');
    expect(blocked.statusReason).toBe('blocked: 3 consecutive proof failures (wrong result) (repeated proof-of-work failures)');
    expect((await agentCall(agent, 'GET', '/v1/agent/device')).body).toMatchObject({ status: 'blocked', statusReason: blocked.statusReason });
    expect((await call('POST', `/v1/devices/${deviceId}/resume`, keys.a)).body).toMatchObject({ code: 'DEVICE.BLOCKED' });

    const ghost = randomUUID();
    const eventId = await publish('verification', verificationV1.DeviceQualifiedSchema, ghost, { deviceId: ghost, challengeId: 'ch-x', uptimeSeconds: 1n, qualifiedAt: ts(new Date()) });
    const letter = await waitFor('the dead letter of a verdict about an unknown device', async () => {
      const page = await call('GET', `/v1/ops/dead-letters?consumerGroup=${encodeURIComponent(`${ns.topicPrefix}inventory.lifecycle`)}`, svc.opsKey);
      return ((page.body.items ?? []) as Json[]).find((d) => d.eventId === eventId);
    });
    expect(letter).toMatchObject({ errorCode: 'INVENTORY.UNKNOWN_DEVICE' });
  });

  describe('a partner network fleet', () => {
    let renderSupplierId: string;
    const declared = {
      deviceClass: 'gpu',
      gpu: { model: 'NVIDIA GeForce RTX 4090', vramMib: 24_576, count: 2 },
      cpuCores: 16,
      ramMib: 65_536,
      diskGib: 1_000,
      countryCode: 'us',
      region: 'us-west',
      connectivityTier: 'high',
      securityTier: 'standard',
      askPricePerGpuHour: { amountBaseUnits: '400000', asset: 'USDC' },
    };

    it("upserts a device of the network's own supplier idempotently, with a token bound to it", async () => {
      const registered = await call('POST', '/v1/suppliers', svc.opsKey, { name: 'Render fleet', source: 'partner_network', partnerNetwork: 'render', payoutWallet: WALLET, tenantId: 'tenant-render' });
      expect(registered.status).toBe(201);
      renderSupplierId = registered.body.supplierId as string;
      await waitFor('the partner supplier in the catalogue', async () => ((await call('GET', `/v1/suppliers/${renderSupplierId}`, svc.opsKey)).status === 200 ? true : undefined));

      const first = await call('PUT', '/v1/partner-networks/render/devices/node-42', keys.render, declared);
      expect(first).toMatchObject({ status: 201, body: { supplierId: renderSupplierId, network: 'render', externalId: 'node-42', created: true, status: 'pending' } });
      expect((first.body.enrollment as Json).token).toMatch(/^ionet_enroll_/);
      const again = await call('PUT', '/v1/partner-networks/render/devices/node-42', keys.render, declared);
      expect(again).toMatchObject({ status: 200, body: { deviceId: first.body.deviceId, created: false, changed: false, version: '1' } });
      const repriced = await call('PUT', '/v1/partner-networks/render/devices/node-42', keys.render, { ...declared, askPricePerGpuHour: { amountBaseUnits: '450000', asset: 'USDC' } });
      expect(repriced).toMatchObject({ status: 200, body: { changed: true, version: '2' } });

      const partnerDeviceId = first.body.deviceId as string;
      const view = await waitFor('the partner device repriced in the catalogue', async () => {
        const res = await call('GET', '/v1/partner-networks/render/devices', keys.render);
        const item = ((res.body.items ?? []) as Json[]).find((d) => d.deviceId === partnerDeviceId);
        return item && item.version === '2' ? item : undefined;
      });
      expect(view).toMatchObject({ partnerNetwork: 'render', partnerExternalId: 'node-42', gpu: { model: 'RTX-4090' }, multiplier: '1.25', agentPublicKey: '', status: 'pending' });
      expect(view.statusReason).toMatch(/partner network's agent/);

      // The partner's agent enrolls with the bound token: the key is attached to that device.
      const partnerAgent = generateAgentKey();
      const enrolled = await agentCall(partnerAgent, 'POST', '/v1/agent/enroll', {
        token: (repriced.body.enrollment as Json).token,
        publicKey: partnerAgent.address,
        spec: {
          ...agentSpec(Array.from({ length: 2 }, (_, i) => ({ model: 'NVIDIA GeForce RTX 4090', vramMib: 24_564, uuid: `GPU-r-${i}` }))),
          simulated: false,
        },
      });
      expect(enrolled).toMatchObject({ status: 201, body: { deviceId: partnerDeviceId, supplierId: renderSupplierId, status: 'pending' } });
      const attached = await waitFor('the agent key on the partner device', async () => {
        const res = await agentCall(partnerAgent, 'GET', '/v1/agent/device');
        return res.status === 200 ? res.body : undefined;
      });
      expect(attached).toMatchObject({ deviceId: partnerDeviceId, agentPublicKey: partnerAgent.address, statusReason: expect.stringMatching(/waiting for verification/) });
      // With an agent attached, the upsert hands out no more tokens.
      expect((await call('PUT', '/v1/partner-networks/render/devices/node-42', keys.render, declared)).body).toMatchObject({ enrollment: null });
    });

    it("refuses an organization that is not the network's supplier, an unknown network, and hides the fleet from other tenants", async () => {
      expect((await call('PUT', '/v1/partner-networks/render/devices/node-42', keys.stranger, declared)).body).toMatchObject({ code: 'PARTNER.NOT_NETWORK_SUPPLIER' });
      expect((await call('PUT', '/v1/partner-networks/akash/devices/node-1', keys.render, declared)).status).toBe(404);
      expect((await call('PUT', '/v1/partner-networks/render/devices/node-42', keys.a, declared)).status).toBe(403);
      expect((await call('GET', '/v1/partner-networks/render/devices', keys.stranger)).body).toMatchObject({ items: [] });
      expect((await call('PUT', '/v1/partner-networks/render/devices/bad id', keys.render, declared)).status).toBe(400);
    });
  });
});
