import { deciderSpec } from '@ionet/testing';
import { NO_AGENT_DETAILS, decideDevice, evolveDevice, initialDeviceState, type DeviceCommand, type DeviceEvent, type DeviceState, type DeviceStatus } from './device.decider';

const spec = deciderSpec({ decide: decideDevice, evolve: evolveDevice, initialState: initialDeviceState });
const t0 = new Date('2026-12-01T10:00:00Z');
const t = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const AGENT_KEY = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const OTHER_KEY = 'So11111111111111111111111111111111111111112';
const WALLET = '11111111111111111111111111111111';
const ids = { deviceId: 'dev-1', supplierId: 'sup-1' };

const registered: DeviceEvent = {
  type: 'DeviceRegistered',
  ...ids,
  tenantId: 'tenant-a',
  agentPublicKey: AGENT_KEY,
  spec: { deviceClass: 'gpu', gpu: { model: 'H100-80GB', vramMib: 81_920, count: 8 }, cpuCores: 64, ramMib: 1_048_576, diskGib: 4_000, countryCode: 'DE', region: 'eu', connectivityTier: 'high', securityTier: 'standard' },
  source: 'data_center',
  askPricePerGpuHour: { amountBaseUnits: 2_000_000n, asset: 'USDC' },
  payoutWallet: WALLET,
  simulated: false,
  enrollmentTokenId: 'tok-1',
  partner: null,
  agent: NO_AGENT_DETAILS,
  statusReason: 'pending: waiting for verification (a passed proof of work after the required uptime)',
  at: t0,
};

const READY = 'cluster-ready: proof of work passed (challenge ch-1); offered for leases';
const PENDING = 'pending: waiting for verification (a passed proof of work after the required uptime)';
const qualified: DeviceEvent = { type: 'DeviceBecameClusterReady', ...ids, challengeId: 'ch-1', at: t(5), status: 'cluster_ready', statusReason: READY };
const offline = (at: Date, status: DeviceStatus, statusReason: string): DeviceEvent => ({
  type: 'DeviceWentOffline',
  ...ids,
  lastSeenAt: t(9),
  at,
  status,
  statusReason,
});
const leased: DeviceEvent = { type: 'DeviceLeased', ...ids, leaseId: 'lease-1', at: t(20), status: 'leased', statusReason: 'leased: running lease lease-1' };
const PAUSED = `paused by the supplier since ${t(30).toISOString()}: not offered for leases until resumed`;
const paused: DeviceEvent = { type: 'DevicePaused', ...ids, at: t(30), status: 'paused', statusReason: PAUSED };
const BLOCKED = 'blocked: 3 consecutive proof failures (wrong result) (repeated proof-of-work failures)';
const blocked: DeviceEvent = { type: 'DeviceBlocked', ...ids, reason: 'repeated_proof_failure', detail: '3 consecutive proof failures (wrong result)', at: t(40), status: 'blocked', statusReason: BLOCKED };

const cmd = {
  qualify: (at = t(5)): DeviceCommand => ({ type: 'QualifyDevice', deviceId: 'dev-1', challengeId: 'ch-1', at }),
  offline: (at = t(10)): DeviceCommand => ({ type: 'MarkDeviceOffline', deviceId: 'dev-1', lastSeenAt: t(9), at }),
  online: (at = t(15)): DeviceCommand => ({ type: 'MarkDeviceOnline', deviceId: 'dev-1', at }),
  lease: (leaseId = 'lease-1', at = t(20)): DeviceCommand => ({ type: 'MarkDeviceLeased', deviceId: 'dev-1', leaseId, at }),
  release: (leaseId = 'lease-1', at = t(25)): DeviceCommand => ({ type: 'MarkDeviceReleased', deviceId: 'dev-1', leaseId, at }),
  pause: (at = t(30)): DeviceCommand => ({ type: 'PauseDevice', deviceId: 'dev-1', at }),
  resume: (at = t(35)): DeviceCommand => ({ type: 'ResumeDevice', deviceId: 'dev-1', at }),
  block: (at = t(40)): DeviceCommand => ({ type: 'BlockDevice', deviceId: 'dev-1', reason: 'repeated_proof_failure', detail: '3 consecutive proof failures (wrong result)', at }),
};

const fold = (events: DeviceEvent[]): Extract<DeviceState, { status: 'registered' }> => {
  const state = events.reduce(evolveDevice, initialDeviceState);
  if (state.status !== 'registered') throw new Error('not registered');
  return state;
};

describe('device lifecycle (ADR 0401): every transition, given/when/then', () => {
  it('pending -> cluster_ready on verification\'s qualification; a second qualification adds nothing', () => {
    spec.given([registered]).when(cmd.qualify()).then([qualified]);
    spec.given([registered, qualified]).when(cmd.qualify(t(6))).then([]);
    expect(fold([registered]).lifecycle).toMatchObject({ status: 'pending', statusReason: PENDING, statusSince: t0 });
    expect(fold([registered, qualified]).lifecycle).toMatchObject({ status: 'cluster_ready', statusReason: READY, statusSince: t(5) });
  });

  it('offline and back restores what the device was: pending stays pending, cluster_ready comes back', () => {
    const pendingOffline = offline(t(10), 'offline', `offline: no heartbeat since ${t(9).toISOString()}`);
    spec.given([registered]).when(cmd.offline()).then([pendingOffline]);
    spec.given([registered, pendingOffline]).when(cmd.offline(t(11))).then([]);
    spec.given([registered, pendingOffline]).when(cmd.online()).then([{ type: 'DeviceCameOnline', ...ids, at: t(15), status: 'pending', statusReason: PENDING }]);
    spec.given([registered, qualified, pendingOffline]).when(cmd.online()).then([{ type: 'DeviceCameOnline', ...ids, at: t(15), status: 'cluster_ready', statusReason: READY }]);
    spec.given([registered, qualified]).when(cmd.online()).then([]);
    // A qualification that arrives while offline is recorded; the device stays offline until it is back.
    spec.given([registered, pendingOffline]).when(cmd.qualify(t(12))).then([{ ...qualified, at: t(12), status: 'offline', statusReason: `offline: no heartbeat since ${t(9).toISOString()}` } as DeviceEvent]);
  });

  it('cluster_ready -> leased -> back to cluster_ready; a release of another lease changes nothing', () => {
    spec.given([registered, qualified]).when(cmd.lease()).then([leased]);
    spec.given([registered, qualified, leased]).when(cmd.lease()).then([]);
    spec.given([registered, qualified, leased]).when(cmd.release('lease-2')).then([]);
    spec.given([registered, qualified, leased]).when(cmd.release()).then([{ type: 'DeviceReleased', ...ids, leaseId: 'lease-1', at: t(25), status: 'cluster_ready', statusReason: READY }]);
    expect(fold([registered, qualified, leased]).lifecycle).toMatchObject({ status: 'leased', statusSince: t(20) });
  });

  it('offline while leased shows offline and keeps the lease; back online it is leased again', () => {
    const offlineLeased = offline(t(22), 'offline', `offline: no heartbeat since ${t(9).toISOString()}; still held by lease lease-1`);
    spec.given([registered, qualified, leased]).when(cmd.offline(t(22))).then([offlineLeased]);
    spec.given([registered, qualified, leased, offlineLeased]).when(cmd.online(t(23))).then([{ type: 'DeviceCameOnline', ...ids, at: t(23), status: 'leased', statusReason: 'leased: running lease lease-1' }]);
    // The lease ending while the device is offline leaves it offline, now free.
    spec
      .given([registered, qualified, leased, offlineLeased])
      .when(cmd.release('lease-1', t(24)))
      .then([{ type: 'DeviceReleased', ...ids, leaseId: 'lease-1', at: t(24), status: 'offline', statusReason: `offline: no heartbeat since ${t(9).toISOString()}` }]);
  });

  it('paused by the supplier and resumed to what it was; pause and resume are idempotent', () => {
    spec.given([registered, qualified]).when(cmd.pause()).then([paused]);
    spec.given([registered, qualified, paused]).when(cmd.pause(t(31))).then([]);
    spec.given([registered, qualified, paused]).when(cmd.resume()).then([{ type: 'DeviceResumed', ...ids, at: t(35), status: 'cluster_ready', statusReason: READY }]);
    spec.given([registered, qualified]).when(cmd.resume()).then([]);
    spec.given([registered]).when(cmd.pause()).then([paused]);
    spec.given([registered, paused]).when(cmd.resume()).then([{ type: 'DeviceResumed', ...ids, at: t(35), status: 'pending', statusReason: PENDING }]);
  });

  it('a pause shows over an agent gone quiet; resuming a device that is offline shows offline', () => {
    const quiet = offline(t(32), 'paused', PAUSED);
    spec.given([registered, qualified, paused]).when(cmd.offline(t(32))).then([quiet]);
    spec
      .given([registered, qualified, paused, quiet])
      .when(cmd.resume())
      .then([{ type: 'DeviceResumed', ...ids, at: t(35), status: 'offline', statusReason: `offline: no heartbeat since ${t(9).toISOString()}` }]);
  });

  it('refuses a pause while a lease holds the device; a lease that lands on a paused device is recorded and shown', () => {
    spec.given([registered, qualified, leased]).when(cmd.pause()).thenRefused('DEVICE.LEASED');
    spec
      .given([registered, qualified, paused])
      .when(cmd.lease('lease-2', t(33)))
      .then([{ type: 'DeviceLeased', ...ids, leaseId: 'lease-2', at: t(33), status: 'leased', statusReason: 'leased: running lease lease-2; paused by the supplier: not offered again once this lease ends' }]);
  });

  it('blocked beats everything, with the reason and detail; a blocked device cannot be paused or resumed and stays blocked', () => {
    for (const history of [[registered], [registered, qualified], [registered, qualified, leased], [registered, qualified, paused]]) {
      spec.given(history).when(cmd.block()).then([blocked]);
    }
    spec.given([registered, blocked]).when(cmd.block(t(41))).then([]);
    spec.given([registered, blocked]).when(cmd.pause()).thenRefused('DEVICE.BLOCKED');
    spec.given([registered, blocked]).when(cmd.resume()).thenRefused('DEVICE.BLOCKED');
    spec.given([registered, blocked]).when(cmd.qualify(t(42))).then([{ ...qualified, at: t(42), status: 'blocked', statusReason: BLOCKED } as DeviceEvent]);
    spec.given([registered, blocked]).when(cmd.online()).then([]);
    spec.given([registered, blocked]).when(cmd.offline(t(43))).then([offline(t(43), 'blocked', BLOCKED)]);
    expect(fold([registered, qualified, blocked]).lifecycle).toMatchObject({ status: 'blocked', statusSince: t(40) });
  });

  it('keeps statusSince while the status stays the same (a lease arriving on an offline device)', () => {
    const off = offline(t(10), 'offline', `offline: no heartbeat since ${t(9).toISOString()}`);
    const state = fold([registered, qualified, off, { type: 'DeviceLeased', ...ids, leaseId: 'lease-1', at: t(12), status: 'offline', statusReason: 'x' }]);
    expect(state.lifecycle).toMatchObject({ status: 'offline', statusSince: t(10), statusReason: `offline: no heartbeat since ${t(9).toISOString()}; still held by lease lease-1` });
  });

  it('refuses every lifecycle command for a device that was never registered', () => {
    for (const command of Object.values(cmd)) spec.given([]).when(command()).thenRefused('DEVICE.NOT_FOUND');
  });

  describe("a partner network's device", () => {
    const partnerRegistered: DeviceEvent = {
      ...(registered as Extract<DeviceEvent, { type: 'DeviceRegistered' }>),
      agentPublicKey: '',
      enrollmentTokenId: null,
      partner: { network: 'render', externalId: 'node-42' },
      statusReason: "pending: waiting for the partner network's agent to enroll with this device's enrollment token",
    };
    const attach = (overrides: Partial<Extract<DeviceCommand, { type: 'AttachAgent' }>> = {}): DeviceCommand => ({
      type: 'AttachAgent',
      deviceId: 'dev-1',
      agentPublicKey: AGENT_KEY,
      enrollmentTokenId: 'tok-2',
      simulated: false,
      detected: { gpu: { model: 'H100-80GB', count: 8 } },
      agent: { gpuUuids: ['GPU-1'], reportedGpuModel: 'NVIDIA H100 80GB HBM3', hostname: 'r-1', agentVersion: '0.1.0' },
      at: t(3),
      ...overrides,
    });

    it('is registered without an agent key, pending on its agent; enrolling attaches the key and it waits for verification', () => {
      const attached: DeviceEvent = {
        type: 'DeviceAgentAttached',
        ...ids,
        agentPublicKey: AGENT_KEY,
        enrollmentTokenId: 'tok-2',
        simulated: false,
        agent: { gpuUuids: ['GPU-1'], reportedGpuModel: 'NVIDIA H100 80GB HBM3', hostname: 'r-1', agentVersion: '0.1.0' },
        at: t(3),
        status: 'pending',
        statusReason: PENDING,
      };
      spec.given([partnerRegistered]).when(attach()).then([attached]);
      spec.given([partnerRegistered, attached]).when(attach()).then([]);
      spec.given([partnerRegistered, attached]).when(attach({ agentPublicKey: OTHER_KEY })).thenRefused('DEVICE.AGENT_ALREADY_ATTACHED');
      expect(fold([partnerRegistered]).lifecycle.statusReason).toMatch(/partner network's agent/);
      expect(fold([partnerRegistered, attached]).agentPublicKey).toBe(AGENT_KEY);
    });

    it('refuses an agent whose detected GPUs are not the declared ones', () => {
      spec.given([partnerRegistered]).when(attach({ detected: { gpu: { model: 'RTX-4090', count: 8 } } })).thenRefused('INVENTORY.SPEC_MISMATCH');
      spec.given([partnerRegistered]).when(attach({ detected: { gpu: { model: 'H100-80GB', count: 4 } } })).thenRefused('INVENTORY.SPEC_MISMATCH');
      spec.given([partnerRegistered]).when(attach({ detected: { gpu: null } })).thenRefused('INVENTORY.SPEC_MISMATCH');
    });

    it('updates the declared spec and price only when they change (an idempotent upsert)', () => {
      const base = partnerRegistered as Extract<DeviceEvent, { type: 'DeviceRegistered' }>;
      const update = (overrides: Partial<Extract<DeviceCommand, { type: 'UpdateDeviceSpec' }>> = {}): DeviceCommand => ({
        type: 'UpdateDeviceSpec',
        deviceId: 'dev-1',
        spec: base.spec,
        askPricePerGpuHour: base.askPricePerGpuHour,
        at: t(4),
        ...overrides,
      });
      spec.given([partnerRegistered]).when(update()).then([]);
      // The same spec as another caller spells it (keys in another order, a marketing GPU name) is no change.
      const { gpu, ...rest } = base.spec;
      spec.given([partnerRegistered]).when(update({ spec: { ...rest, gpu: { ...gpu!, model: 'NVIDIA H100 80GB HBM3' } } })).then([]);
      spec.given([partnerRegistered]).when(update({ spec: { ...base.spec, countryCode: 'fr' } })).then([{ type: 'DeviceSpecUpdated', ...ids, spec: { ...base.spec, countryCode: 'FR' }, at: t(4) }]);
      spec
        .given([partnerRegistered])
        .when(update({ askPricePerGpuHour: { amountBaseUnits: 3_000_000n, asset: 'USDC' } }))
        .then([{ type: 'DevicePriceSet', ...ids, askPricePerGpuHour: { amountBaseUnits: 3_000_000n, asset: 'USDC' }, at: t(4) }]);
      spec.given([partnerRegistered]).when(update({ spec: { ...base.spec, cpuCores: 0 } })).thenRefused('DEVICE.INVALID_SPEC');
    });
  });
});
