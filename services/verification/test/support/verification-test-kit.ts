import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AGENT_PATHS, chainHeartbeat, generateAgentKey, processDigest, signAgentRequest, type AgentKey, type SignedHeartbeat } from '@ionet/agent-protocol';
import { Asset, commonV1, inventoryV1, leasingV1, type EventContext } from '@ionet/contracts';
import { sendFact, startTestService, testKafka, type RunningTestService, type TestNamespace } from '@ionet/testing';
import type { VerificationConfig } from '../../src/verification.config';
import { verificationService } from '../../src/verification.module';
import { randomUUID } from 'node:crypto';

/** Publishes one fact as its owning service's relay would: envelope, key and type headers. */
export async function publishFact<Desc extends DescMessage>(
  topicPrefix: string,
  context: EventContext,
  schema: Desc,
  aggregateId: string,
  data: MessageInitShape<Desc>,
  aggregateVersion = 1n,
): Promise<void> {
  const producer = testKafka('verification-test-publisher').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await sendFact(producer, topicPrefix, context, schema, aggregateId, data, { aggregateVersion });
  } finally {
    await producer.disconnect();
  }
}

export interface TestAgent {
  key: AgentKey;
  deviceId: string;
  supplierId: string;
  tenantId: string;
}

export function newTestAgent(tenantId = `tenant-${randomUUID().slice(0, 8)}`): TestAgent {
  return { key: generateAgentKey(), deviceId: randomUUID(), supplierId: randomUUID(), tenantId };
}

/** Inventory's DeviceRegistered for a test agent (a simulated GPU device unless told otherwise). */
export async function registerDevice(topicPrefix: string, agent: TestAgent, options: { simulated?: boolean; gpuModel?: string; registeredAt?: Date } = {}): Promise<void> {
  await publishFact(topicPrefix, 'inventory', inventoryV1.DeviceRegisteredSchema, agent.deviceId, {
    deviceId: agent.deviceId,
    supplierId: agent.supplierId,
    tenantId: agent.tenantId,
    agentPublicKey: agent.key.address,
    deviceClass: commonV1.DeviceClass.GPU,
    gpu: { model: options.gpuModel ?? 'RTX-4090', vramMib: 24_576, count: 1 },
    cpuCores: 16,
    ramMib: 65_536,
    diskGib: 1_000,
    countryCode: 'DE',
    region: 'eu-central',
    connectivityTier: commonV1.ConnectivityTier.HIGH,
    securityTier: commonV1.SecurityTier.STANDARD,
    source: commonV1.SupplySource.INDIVIDUAL,
    askPricePerGpuHour: { amountBaseUnits: '500000', asset: Asset.USDC },
    payoutWallet: '11111111111111111111111111111111',
    registeredAt: timestampFromDate(options.registeredAt ?? new Date()),
    simulated: options.simulated ?? true,
  });
}

export interface AgentResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** A signed agent request, as the worker agent sends it. */
export async function agentCall(baseUrl: string, key: AgentKey, method: 'GET' | 'POST', path: string, body?: unknown, options: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<AgentResponse> {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const headers = options.headers ?? signAgentRequest({ key, method, pathAndQuery: path, body: raw, nowMs: Date.now() });
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : raw,
    signal: options.signal,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** Builds a chain of heartbeats stamped `stepMs` apart from `from`. */
export function heartbeatChain(agent: TestAgent, count: number, options: { from: Date; stepMs: number; after?: SignedHeartbeat; leaseId?: string | null; foreign?: (i: number) => number }): SignedHeartbeat[] {
  const out: SignedHeartbeat[] = [];
  let previous = options.after;
  const baseMs = options.after ? Date.parse(options.after.at) + options.stepMs : options.from.getTime();
  for (let i = 0; i < count; i++) {
    const hb = chainHeartbeat(
      previous,
      {
        deviceId: agent.deviceId,
        at: new Date(baseMs + i * options.stepMs).toISOString(),
        leaseId: options.leaseId ?? null,
        gpus: [{ uuid: `GPU-${agent.deviceId.slice(0, 8)}`, utilisationBasisPoints: 5_000, memoryUsedMib: 1_024 }],
        processDigest: processDigest([]),
        foreignProcessCount: options.foreign?.(i) ?? 0,
      },
      agent.key,
    );
    out.push(hb);
    previous = hb;
  }
  return out;
}

/** One unbroken chain of heartbeats carrying `leaseId`, one at each of these stamps (ms). */
export function leaseChainAt(agent: TestAgent, leaseId: string, stamps: number[], foreign: (i: number) => number = () => 0): SignedHeartbeat[] {
  const out: SignedHeartbeat[] = [];
  for (const [i, at] of stamps.entries()) out.push(heartbeatChain(agent, 1, { from: new Date(at), stepMs: 0, leaseId, foreign: () => foreign(i), ...(out.length ? { after: { ...out[out.length - 1]!, at: new Date(at).toISOString() } } : {}) })[0]!);
  return out;
}

export { AGENT_PATHS };

/** Verification on the real stack in the namespace's schema, topics and queues; no BullMQ workers
 *  (tests run the sweeps themselves, at the moments they choose). */
export function startVerification(ns: TestNamespace, env: Record<string, string> = {}): Promise<RunningTestService<VerificationConfig>> {
  return startTestService(verificationService, {
    schema: ns.schema,
    serviceName: 'verification',
    topicPrefix: ns.topicPrefix,
    env: { QUEUE_PREFIX: ns.queuePrefix, SERVICE_ROLES: 'api,consumer', ...env },
  });
}

const LEASE_MONEY = { amountBaseUnits: '1000000', asset: Asset.USDC };

/** LeaseCreated's data for a lease of these devices (one GPU each unless told). */
export function leaseCreatedData(leaseId: string, customerId: string, devices: { deviceId: string; supplierId: string; gpuCount?: number }[], createdAt: Date, durationHours = 2): MessageInitShape<typeof leasingV1.LeaseCreatedSchema> {
  return {
    leaseId,
    requestId: randomUUID(),
    quoteId: randomUUID(),
    customerId,
    slots: devices.map((d) => ({ deviceId: d.deviceId, supplierId: d.supplierId, gpuCount: d.gpuCount ?? 1, pricePerGpuHour: LEASE_MONEY })),
    durationHours,
    computePrice: LEASE_MONEY,
    reservationFee: LEASE_MONEY,
    paymentFee: LEASE_MONEY,
    totalPrice: LEASE_MONEY,
    paymentAsset: Asset.USDC,
    createdAt: timestampFromDate(createdAt),
  };
}
