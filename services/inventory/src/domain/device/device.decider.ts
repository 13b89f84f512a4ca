import { isSolanaAddress } from '@ionet/contracts';
import { resolveGpuModel } from '@ionet/tokenomics';
import type { SupplierSource } from '../supplier/supplier.decider';
import { InventoryError } from '../shared/inventory.errors';

export const CONNECTIVITY_TIERS = ['low', 'medium', 'high', 'ultra_high'] as const;
export type ConnectivityTier = (typeof CONNECTIVITY_TIERS)[number];
export const SECURITY_TIERS = ['standard', 'secure', 'compliant'] as const;
export type SecurityTier = (typeof SECURITY_TIERS)[number];
export const DEVICE_CLASSES = ['gpu', 'cpu'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

export const DEVICE_STATUSES = ['pending', 'cluster_ready', 'leased', 'offline', 'paused', 'blocked'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
/** The names of the contract's DeviceBlockReason (verification's disqualification reasons map onto them). */
export const BLOCK_REASONS = ['foreign_workload', 'usage_cap_exceeded', 'repeated_proof_failure', 'spoofed_hardware', 'time_lock_violation'] as const;
export type BlockReason = (typeof BLOCK_REASONS)[number];

/** What an agent reported about itself at enrollment, kept beside the spec (verification checks
 *  heartbeats' GPU UUIDs against it). */
export interface AgentDetails {
  gpuUuids: string[];
  /** The model name as nvidia-smi reported it, before the catalogue normalised it. */
  reportedGpuModel: string;
  hostname: string;
  agentVersion: string;
}

export const NO_AGENT_DETAILS: AgentDetails = { gpuUuids: [], reportedGpuModel: '', hostname: '', agentVersion: '' };

/** Ask prices are quoted in USDC base units (6 decimals) per GPU-hour. */
export interface PricePerGpuHour {
  amountBaseUnits: bigint;
  asset: 'USDC';
}

export interface DeviceSpec {
  deviceClass: DeviceClass;
  gpu: { model: string; vramMib: number; count: number } | null;
  cpuCores: number;
  ramMib: number;
  diskGib: number;
  countryCode: string;
  region: string;
  connectivityTier: ConnectivityTier;
  securityTier: SecurityTier;
}

export type DeviceEvent =
  | {
      type: 'DeviceRegistered';
      deviceId: string;
      supplierId: string;
      tenantId: string;
      agentPublicKey: string;
      spec: DeviceSpec;
      source: SupplierSource;
      askPricePerGpuHour: PricePerGpuHour;
      payoutWallet: string;
      simulated: boolean;
      enrollmentTokenId: string | null;
      partner: { network: string; externalId: string } | null;
      agent: AgentDetails;
      statusReason: string;
      at: Date;
    }
  | { type: 'DevicePriceSet'; deviceId: string; supplierId: string; askPricePerGpuHour: PricePerGpuHour; at: Date }
  | { type: 'DeviceSpecUpdated'; deviceId: string; supplierId: string; spec: DeviceSpec; at: Date }
  | ({ type: 'DeviceAgentAttached'; deviceId: string; supplierId: string; agentPublicKey: string; enrollmentTokenId: string; simulated: boolean; agent: AgentDetails; at: Date } & StatusAfter)
  | ({ type: 'DeviceBecameClusterReady'; deviceId: string; supplierId: string; challengeId: string; at: Date } & StatusAfter)
  | ({ type: 'DeviceWentOffline'; deviceId: string; supplierId: string; lastSeenAt: Date; at: Date } & StatusAfter)
  | ({ type: 'DeviceCameOnline'; deviceId: string; supplierId: string; at: Date } & StatusAfter)
  | ({ type: 'DeviceBlocked'; deviceId: string; supplierId: string; reason: BlockReason; detail: string; at: Date } & StatusAfter)
  | ({ type: 'DevicePaused'; deviceId: string; supplierId: string; at: Date } & StatusAfter)
  | ({ type: 'DeviceResumed'; deviceId: string; supplierId: string; at: Date } & StatusAfter)
  | ({ type: 'DeviceLeased'; deviceId: string; supplierId: string; leaseId: string; at: Date } & StatusAfter)
  | ({ type: 'DeviceReleased'; deviceId: string; supplierId: string; leaseId: string; at: Date } & StatusAfter);

/** Every lifecycle fact says where it left the device, so a reader needs no fold of its own. */
export interface StatusAfter {
  status: DeviceStatus;
  statusReason: string;
}

export type DeviceCommand =
  | {
      type: 'RegisterDevice';
      deviceId: string;
      agentPublicKey: string;
      spec: DeviceSpec;
      askPricePerGpuHour: PricePerGpuHour;
      /** Defaults to the supplier's payout wallet. */
      payoutWallet?: string;
      /** The owning supplier as the handler loaded it. */
      supplier: { supplierId: string; tenantId: string; source: SupplierSource; payoutWallet: string | null } | undefined;
      /** Enrolled agents: the GPUs were declared, not detected (`--simulate-gpus`). */
      simulated?: boolean;
      enrollmentTokenId?: string;
      /** A partner network's device, registered before its agent enrolls (agentPublicKey empty). */
      partner?: { network: string; externalId: string };
      agent?: AgentDetails;
      at: Date;
    }
  | { type: 'SetDevicePrice'; deviceId: string; askPricePerGpuHour: PricePerGpuHour; at: Date }
  /** A partner network's upsert of a device it registered: the spec and price it declares now. */
  | { type: 'UpdateDeviceSpec'; deviceId: string; spec: DeviceSpec; askPricePerGpuHour: PricePerGpuHour; at: Date }
  | {
      type: 'AttachAgent';
      deviceId: string;
      agentPublicKey: string;
      enrollmentTokenId: string;
      simulated: boolean;
      /** What the agent detected; a GPU device must be the model and count it was declared with. */
      detected: { gpu: { model: string; count: number } | null };
      agent: AgentDetails;
      at: Date;
    }
  | { type: 'QualifyDevice'; deviceId: string; challengeId: string; at: Date }
  | { type: 'MarkDeviceOffline'; deviceId: string; lastSeenAt: Date; at: Date }
  | { type: 'MarkDeviceOnline'; deviceId: string; at: Date }
  | { type: 'BlockDevice'; deviceId: string; reason: BlockReason; detail: string; at: Date }
  | { type: 'PauseDevice'; deviceId: string; at: Date }
  | { type: 'ResumeDevice'; deviceId: string; at: Date }
  | { type: 'MarkDeviceLeased'; deviceId: string; leaseId: string; at: Date }
  | { type: 'MarkDeviceReleased'; deviceId: string; leaseId: string; at: Date };

/** The facts the status is derived from (ADR 0401). */
export interface DeviceLifecycle {
  agentAttached: boolean;
  qualified: { challengeId: string; since: Date } | null;
  lease: { leaseId: string; since: Date } | null;
  offline: { lastSeenAt: Date; since: Date } | null;
  paused: { since: Date } | null;
  blocked: { reason: BlockReason; detail: string; since: Date } | null;
  status: DeviceStatus;
  statusReason: string;
  statusSince: Date;
}

export type DeviceState =
  | { status: 'unregistered' }
  | {
      status: 'registered';
      deviceId: string;
      supplierId: string;
      tenantId: string;
      askPricePerGpuHour: PricePerGpuHour;
      spec: DeviceSpec;
      agentPublicKey: string;
      partner: { network: string; externalId: string } | null;
      lifecycle: DeviceLifecycle;
    };

type RegisteredDevice = Extract<DeviceState, { status: 'registered' }>;

export const initialDeviceState: DeviceState = { status: 'unregistered' };

/** Bounds on every number a device claims: a claim outside them is a typo or a spoof, and each is
 *  far below the 2^31 - 1 of the catalogue's `integer` columns, so an accepted event can always be
 *  projected (an unbounded cpuCores once stopped the catalogue for every tenant). The DTOs reuse
 *  these constants so the edge and the decider refuse the same values. */
export const GPU_COUNT_MAX = 16;
/** 512 GiB per GPU: above any accelerator sold (192 GiB in 2026). */
export const VRAM_MIB_MAX = 512 * 1024;
/** 1,024 cores: an 8-socket server with hyper-threading stays below it. */
export const CPU_CORES_MAX = 1_024;
/** 64 TiB of RAM: the largest single-system-image servers hold 48 TiB. */
export const RAM_MIB_MAX = 64 * 1024 * 1024;
/** 1 PiB of local disk. */
export const DISK_GIB_MAX = 1024 * 1024;
export const GPU_MODEL_LENGTH_MAX = 64;
export const REGION_LENGTH_MAX = 64;
/** 1,000 USDC per GPU-hour: far above any market price, below any overflow. */
export const PRICE_BASE_UNITS_MAX = 1_000n * 1_000_000n;

export function decideDevice(command: DeviceCommand, state: DeviceState): DeviceEvent[] {
  switch (command.type) {
    case 'RegisterDevice': {
      if (state.status !== 'unregistered') throw new InventoryError('DEVICE.ALREADY_EXISTS', `device ${command.deviceId} is already registered`);
      const supplier = command.supplier;
      if (!supplier) throw new InventoryError('SUPPLIER.NOT_FOUND', 'the device names no registered supplier');
      assertSpec(command.spec);
      assertPrice(command.askPricePerGpuHour);
      // A partner network's device waits for its agent: it is registered without a key.
      if (!(command.partner && command.agentPublicKey === '') && !isSolanaAddress(command.agentPublicKey)) {
        throw new InventoryError('DEVICE.INVALID_AGENT_KEY', 'agentPublicKey must be a base58 ed25519 public key');
      }
      if (command.partner && !PARTNER_NETWORK_PATTERN.test(command.partner.network)) throw new InventoryError('SUPPLIER.INVALID_PARTNER_NETWORK', 'a partner network is named in lower case letters, digits and "-"');
      if (command.partner && !EXTERNAL_ID_PATTERN.test(command.partner.externalId)) {
        throw new InventoryError('DEVICE.INVALID_EXTERNAL_ID', 'a partner device id is 1 to 128 letters, digits and ".", "_", "-", ":"');
      }
      const payoutWallet = command.payoutWallet ?? supplier.payoutWallet;
      if (!payoutWallet || !isSolanaAddress(payoutWallet)) {
        throw new InventoryError('DEVICE.INVALID_WALLET', 'the device needs a payout wallet (its own or its supplier\'s), a base58 Solana address');
      }
      return [
        {
          type: 'DeviceRegistered',
          deviceId: command.deviceId,
          supplierId: supplier.supplierId,
          tenantId: supplier.tenantId,
          agentPublicKey: command.agentPublicKey,
          spec: normalised(command.spec),
          source: supplier.source,
          askPricePerGpuHour: command.askPricePerGpuHour,
          payoutWallet,
          simulated: command.simulated ?? false,
          enrollmentTokenId: command.enrollmentTokenId ?? null,
          partner: command.partner ?? null,
          agent: command.agent ?? NO_AGENT_DETAILS,
          statusReason: pendingReason(command.agentPublicKey !== ''),
          at: command.at,
        },
      ];
    }
    case 'SetDevicePrice': {
      const device = registered(state, command.deviceId);
      assertPrice(command.askPricePerGpuHour);
      // Setting the price it already has changes nothing: PUT stays idempotent.
      if (device.askPricePerGpuHour.amountBaseUnits === command.askPricePerGpuHour.amountBaseUnits) return [];
      return [{ type: 'DevicePriceSet', deviceId: device.deviceId, supplierId: device.supplierId, askPricePerGpuHour: command.askPricePerGpuHour, at: command.at }];
    }
    case 'UpdateDeviceSpec': {
      const device = registered(state, command.deviceId);
      assertSpec(command.spec);
      assertPrice(command.askPricePerGpuHour);
      const spec = normalised(command.spec);
      const events: DeviceEvent[] = [];
      if (!sameSpec(spec, device.spec)) events.push({ type: 'DeviceSpecUpdated', deviceId: device.deviceId, supplierId: device.supplierId, spec, at: command.at });
      if (device.askPricePerGpuHour.amountBaseUnits !== command.askPricePerGpuHour.amountBaseUnits) {
        events.push({ type: 'DevicePriceSet', deviceId: device.deviceId, supplierId: device.supplierId, askPricePerGpuHour: command.askPricePerGpuHour, at: command.at });
      }
      return events;
    }
    case 'AttachAgent': {
      const device = registered(state, command.deviceId);
      if (device.agentPublicKey === command.agentPublicKey) return [];
      if (device.lifecycle.agentAttached) throw new InventoryError('DEVICE.AGENT_ALREADY_ATTACHED', 'another agent key is already enrolled for this device');
      if (!isSolanaAddress(command.agentPublicKey)) throw new InventoryError('DEVICE.INVALID_AGENT_KEY', 'agentPublicKey must be a base58 ed25519 public key');
      const declared = device.spec.gpu;
      const detected = command.detected.gpu;
      if ((declared === null) !== (detected === null) || (declared && detected && (declared.model !== detected.model || declared.count !== detected.count))) {
        const describe = (g: { model: string; count: number } | null) => (g ? `${g.count} x ${g.model}` : 'no GPU');
        throw new InventoryError('INVENTORY.SPEC_MISMATCH', `the agent detected ${describe(detected)}, the device was declared with ${describe(declared)}`);
      }
      return [
        withStatus({ ...device.lifecycle, agentAttached: true }, {
          type: 'DeviceAgentAttached',
          deviceId: device.deviceId,
          supplierId: device.supplierId,
          agentPublicKey: command.agentPublicKey,
          enrollmentTokenId: command.enrollmentTokenId,
          simulated: command.simulated,
          agent: command.agent,
          at: command.at,
        }),
      ];
    }
    case 'QualifyDevice': {
      const device = registered(state, command.deviceId);
      if (device.lifecycle.qualified) return [];
      const lifecycle = { ...device.lifecycle, qualified: { challengeId: command.challengeId, since: command.at } };
      return [withStatus(lifecycle, { type: 'DeviceBecameClusterReady', deviceId: device.deviceId, supplierId: device.supplierId, challengeId: command.challengeId, at: command.at })];
    }
    case 'MarkDeviceOffline': {
      const device = registered(state, command.deviceId);
      if (device.lifecycle.offline) return [];
      const lifecycle = { ...device.lifecycle, offline: { lastSeenAt: command.lastSeenAt, since: command.at } };
      return [withStatus(lifecycle, { type: 'DeviceWentOffline', deviceId: device.deviceId, supplierId: device.supplierId, lastSeenAt: command.lastSeenAt, at: command.at })];
    }
    case 'MarkDeviceOnline': {
      const device = registered(state, command.deviceId);
      if (!device.lifecycle.offline) return [];
      return [withStatus({ ...device.lifecycle, offline: null }, { type: 'DeviceCameOnline', deviceId: device.deviceId, supplierId: device.supplierId, at: command.at })];
    }
    case 'BlockDevice': {
      const device = registered(state, command.deviceId);
      // The first verdict stands: a later one for a blocked device adds nothing a supplier can act on.
      if (device.lifecycle.blocked) return [];
      const lifecycle = { ...device.lifecycle, blocked: { reason: command.reason, detail: command.detail, since: command.at } };
      return [
        withStatus(lifecycle, { type: 'DeviceBlocked', deviceId: device.deviceId, supplierId: device.supplierId, reason: command.reason, detail: command.detail, at: command.at }),
      ];
    }
    case 'PauseDevice': {
      const device = registered(state, command.deviceId);
      if (device.lifecycle.blocked) throw new InventoryError('DEVICE.BLOCKED', `the device is ${device.lifecycle.statusReason}; a blocked device cannot be paused or resumed`);
      if (device.lifecycle.paused) return [];
      if (device.lifecycle.lease) {
        throw new InventoryError('DEVICE.LEASED', `the device is held by lease ${device.lifecycle.lease.leaseId}; pause it after the lease ends (a pause never cuts a customer's lease)`);
      }
      return [withStatus({ ...device.lifecycle, paused: { since: command.at } }, { type: 'DevicePaused', deviceId: device.deviceId, supplierId: device.supplierId, at: command.at })];
    }
    case 'ResumeDevice': {
      const device = registered(state, command.deviceId);
      if (device.lifecycle.blocked) throw new InventoryError('DEVICE.BLOCKED', `the device is ${device.lifecycle.statusReason}; a blocked device cannot be paused or resumed`);
      if (!device.lifecycle.paused) return [];
      return [withStatus({ ...device.lifecycle, paused: null }, { type: 'DeviceResumed', deviceId: device.deviceId, supplierId: device.supplierId, at: command.at })];
    }
    case 'MarkDeviceLeased': {
      // Leasing's fact is recorded whatever the device's state: the lease exists (matching chose the
      // device); refusing it here would only hide it. The status says what else holds.
      const device = registered(state, command.deviceId);
      if (device.lifecycle.lease?.leaseId === command.leaseId) return [];
      const lifecycle = { ...device.lifecycle, lease: { leaseId: command.leaseId, since: command.at } };
      return [withStatus(lifecycle, { type: 'DeviceLeased', deviceId: device.deviceId, supplierId: device.supplierId, leaseId: command.leaseId, at: command.at })];
    }
    case 'MarkDeviceReleased': {
      const device = registered(state, command.deviceId);
      if (device.lifecycle.lease?.leaseId !== command.leaseId) return [];
      return [
        withStatus({ ...device.lifecycle, lease: null }, { type: 'DeviceReleased', deviceId: device.deviceId, supplierId: device.supplierId, leaseId: command.leaseId, at: command.at }),
      ];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const PARTNER_NETWORK_PATTERN = /^[a-z][a-z0-9-]{1,31}$/;
export const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Country codes in upper case; GPU names as the catalogue names them ("NVIDIA H100 80GB HBM3" and
 *  "H100" are "H100-80GB"), an unknown model as reported (ADR 0402). */
function normalised(spec: DeviceSpec): DeviceSpec {
  const gpu = spec.gpu ? { ...spec.gpu, model: resolveGpuModel(spec.gpu.model)?.name ?? spec.gpu.model.trim() } : null;
  return { ...spec, gpu, countryCode: spec.countryCode.toUpperCase() };
}

function sameSpec(a: DeviceSpec, b: DeviceSpec): boolean {
  const sameGpu = a.gpu === null || b.gpu === null ? a.gpu === b.gpu : a.gpu.model === b.gpu.model && a.gpu.vramMib === b.gpu.vramMib && a.gpu.count === b.gpu.count;
  return (
    sameGpu &&
    a.deviceClass === b.deviceClass &&
    a.cpuCores === b.cpuCores &&
    a.ramMib === b.ramMib &&
    a.diskGib === b.diskGib &&
    a.countryCode === b.countryCode &&
    a.region === b.region &&
    a.connectivityTier === b.connectivityTier &&
    a.securityTier === b.securityTier
  );
}

function registered(state: DeviceState, deviceId: string): RegisteredDevice {
  if (state.status !== 'registered') throw new InventoryError('DEVICE.NOT_FOUND', `no device ${deviceId}`);
  return state;
}

/** A lifecycle event stamped with the status its facts give. */
function withStatus<T extends { type: DeviceEvent['type'] }>(lifecycle: Omit<DeviceLifecycle, 'status' | 'statusReason' | 'statusSince'>, event: T): T & StatusAfter {
  const { status, reason } = deriveStatus(lifecycle);
  return { ...event, status, statusReason: reason };
}

export function pendingReason(agentAttached: boolean): string {
  return agentAttached
    ? 'pending: waiting for verification (a passed proof of work after the required uptime)'
    : "pending: waiting for the partner network's agent to enroll with this device's enrollment token";
}

const BLOCK_REASON_TEXT: Record<BlockReason, string> = {
  foreign_workload: 'foreign workload on the GPUs',
  usage_cap_exceeded: 'idle usage above the caps',
  repeated_proof_failure: 'repeated proof-of-work failures',
  spoofed_hardware: 'the hardware does not match its claim',
  time_lock_violation: 'a proof-of-time-lock violation',
};

/**
 * The one precedence rule (ADR 0401): blocked beats everything; a pause the supplier chose shows
 * over an agent that went quiet (unless a lease holds the device, which a pause never cuts);
 * offline beats leased (the customer's device is not answering); then leased, cluster-ready,
 * pending. Each status comes with a sentence a supplier can act on.
 */
export function deriveStatus(l: Omit<DeviceLifecycle, 'status' | 'statusReason' | 'statusSince'>): { status: DeviceStatus; reason: string } {
  if (l.blocked) return { status: 'blocked', reason: `blocked: ${l.blocked.detail || BLOCK_REASON_TEXT[l.blocked.reason]} (${BLOCK_REASON_TEXT[l.blocked.reason]})` };
  if (l.paused && !l.lease) return { status: 'paused', reason: `paused by the supplier since ${l.paused.since.toISOString()}: not offered for leases until resumed` };
  if (l.offline) {
    const held = l.lease ? `; still held by lease ${l.lease.leaseId}` : '';
    return { status: 'offline', reason: `offline: no heartbeat since ${l.offline.lastSeenAt.toISOString()}${held}` };
  }
  if (l.lease) {
    const paused = l.paused ? '; paused by the supplier: not offered again once this lease ends' : '';
    return { status: 'leased', reason: `leased: running lease ${l.lease.leaseId}${paused}` };
  }
  if (l.qualified) return { status: 'cluster_ready', reason: `cluster-ready: proof of work passed (challenge ${l.qualified.challengeId}); offered for leases` };
  return { status: 'pending', reason: pendingReason(l.agentAttached) };
}

function lifecycleAfter(previous: DeviceLifecycle, next: Omit<DeviceLifecycle, 'status' | 'statusReason' | 'statusSince'>, at: Date): DeviceLifecycle {
  const { status, reason } = deriveStatus(next);
  return { ...next, status, statusReason: reason, statusSince: status === previous.status ? previous.statusSince : at };
}

export function evolveDevice(state: DeviceState, event: DeviceEvent): DeviceState {
  switch (event.type) {
    case 'DeviceRegistered': {
      const agentAttached = event.agentPublicKey !== '';
      return {
        status: 'registered',
        deviceId: event.deviceId,
        supplierId: event.supplierId,
        tenantId: event.tenantId,
        askPricePerGpuHour: event.askPricePerGpuHour,
        spec: event.spec,
        agentPublicKey: event.agentPublicKey,
        partner: event.partner,
        lifecycle: { agentAttached, qualified: null, lease: null, offline: null, paused: null, blocked: null, status: 'pending', statusReason: pendingReason(agentAttached), statusSince: event.at },
      };
    }
    case 'DevicePriceSet':
      return state.status === 'registered' ? { ...state, askPricePerGpuHour: event.askPricePerGpuHour } : state;
    case 'DeviceSpecUpdated':
      return state.status === 'registered' ? { ...state, spec: event.spec } : state;
    default:
      return state.status === 'registered' ? evolveLifecycle(state, event) : state;
  }
}

function evolveLifecycle(state: RegisteredDevice, event: Exclude<DeviceEvent, { type: 'DeviceRegistered' | 'DevicePriceSet' | 'DeviceSpecUpdated' }>): DeviceState {
  const l = state.lifecycle;
  const after = (next: Omit<DeviceLifecycle, 'status' | 'statusReason' | 'statusSince'>): RegisteredDevice => ({ ...state, lifecycle: lifecycleAfter(l, next, event.at) });
  switch (event.type) {
    case 'DeviceAgentAttached':
      return { ...after({ ...l, agentAttached: true }), agentPublicKey: event.agentPublicKey };
    case 'DeviceBecameClusterReady':
      return after({ ...l, qualified: { challengeId: event.challengeId, since: event.at } });
    case 'DeviceWentOffline':
      return after({ ...l, offline: { lastSeenAt: event.lastSeenAt, since: event.at } });
    case 'DeviceCameOnline':
      return after({ ...l, offline: null });
    case 'DeviceBlocked':
      return after({ ...l, blocked: { reason: event.reason, detail: event.detail, since: event.at } });
    case 'DevicePaused':
      return after({ ...l, paused: { since: event.at } });
    case 'DeviceResumed':
      return after({ ...l, paused: null });
    case 'DeviceLeased':
      return after({ ...l, lease: { leaseId: event.leaseId, since: event.at } });
    case 'DeviceReleased':
      return after({ ...l, lease: l.lease?.leaseId === event.leaseId ? null : l.lease });
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

function assertSpec(spec: DeviceSpec): void {
  const violations: { field: string; message: string }[] = [];
  const integerIn = (field: string, value: number, max: number) => {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) violations.push({ field, message: `${field} must be an integer from 1 to ${max}` });
  };
  const textIn = (field: string, value: string, max: number) => {
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) violations.push({ field, message: `${field} must be 1 to ${max} characters` });
  };
  if (spec.deviceClass === 'gpu') {
    if (!spec.gpu) violations.push({ field: 'gpu', message: 'a GPU device describes its GPUs' });
    else {
      textIn('gpu.model', spec.gpu.model, GPU_MODEL_LENGTH_MAX);
      integerIn('gpu.count', spec.gpu.count, GPU_COUNT_MAX);
      integerIn('gpu.vramMib', spec.gpu.vramMib, VRAM_MIB_MAX);
    }
  } else if (spec.gpu) violations.push({ field: 'gpu', message: 'a CPU device has no GPUs' });
  if (!(DEVICE_CLASSES as readonly string[]).includes(spec.deviceClass)) violations.push({ field: 'deviceClass', message: `deviceClass must be one of ${DEVICE_CLASSES.join(', ')}` });
  if (!(CONNECTIVITY_TIERS as readonly string[]).includes(spec.connectivityTier)) violations.push({ field: 'connectivityTier', message: `connectivityTier must be one of ${CONNECTIVITY_TIERS.join(', ')}` });
  if (!(SECURITY_TIERS as readonly string[]).includes(spec.securityTier)) violations.push({ field: 'securityTier', message: `securityTier must be one of ${SECURITY_TIERS.join(', ')}` });
  if (typeof spec.countryCode !== 'string' || !/^[A-Za-z]{2}$/.test(spec.countryCode)) violations.push({ field: 'countryCode', message: 'countryCode must be ISO 3166-1 alpha-2' });
  textIn('region', spec.region, REGION_LENGTH_MAX);
  integerIn('cpuCores', spec.cpuCores, CPU_CORES_MAX);
  integerIn('ramMib', spec.ramMib, RAM_MIB_MAX);
  integerIn('diskGib', spec.diskGib, DISK_GIB_MAX);
  if (violations.length) throw new InventoryError('DEVICE.INVALID_SPEC', violations.map((v) => v.message).join('; '), { violations });
}

function assertPrice(price: PricePerGpuHour): void {
  if (price.asset !== 'USDC' || price.amountBaseUnits <= 0n || price.amountBaseUnits > PRICE_BASE_UNITS_MAX) {
    throw new InventoryError('DEVICE.INVALID_PRICE', `askPricePerGpuHour must be 1 to ${PRICE_BASE_UNITS_MAX} USDC base units (6 decimals)`);
  }
}
