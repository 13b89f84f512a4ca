import { CONTRACT_ERROR_CODES, ContractError, commonV1, enumCodec, inventoryV1, type DomainMoney, type DomainOf } from '@ionet/contracts';
import { eventCodec } from '@ionet/eventing';
import {
  BLOCK_REASONS,
  CONNECTIVITY_TIERS,
  DEVICE_CLASSES,
  DEVICE_STATUSES,
  SECURITY_TIERS,
  type AgentDetails,
  type BlockReason,
  type ConnectivityTier,
  type DeviceClass,
  type DeviceEvent,
  type DeviceSpec,
  type DeviceStatus,
  type PricePerGpuHour,
  type SecurityTier,
  pendingReason,
} from '../../domain/device/device.decider';
import type { EnrollmentTokenEvent } from '../../domain/enrollment/enrollment-token.decider';
import { SUPPLIER_SOURCES, type PartnerNetwork, type SupplierEvent, type SupplierSource } from '../../domain/supplier/supplier.decider';

// Asserted at start-up: the domain's names are exactly the contract's, so the casts below hold.
enumCodec(commonV1.SupplySourceSchema, SUPPLIER_SOURCES);
enumCodec(commonV1.ConnectivityTierSchema, CONNECTIVITY_TIERS);
enumCodec(commonV1.SecurityTierSchema, SECURITY_TIERS);
enumCodec(commonV1.DeviceClassSchema, DEVICE_CLASSES);
enumCodec(inventoryV1.DeviceStatusSchema, DEVICE_STATUSES);
enumCodec(inventoryV1.DeviceBlockReasonSchema, BLOCK_REASONS);

export const supplierEventCodec = eventCodec<SupplierEvent>()({
  SupplierRegistered: {
    schema: inventoryV1.SupplierRegisteredSchema,
    toWire: (e) => ({ supplierId: e.supplierId, tenantId: e.tenantId, displayName: e.name, source: e.source, partnerNetwork: e.partnerNetwork ?? '', payoutWallet: e.payoutWallet ?? '', registeredAt: e.at }),
    fromWire: (w) => ({
      type: 'SupplierRegistered',
      supplierId: w.supplierId,
      tenantId: w.tenantId,
      name: w.displayName,
      source: w.source as SupplierSource,
      partnerNetwork: (w.partnerNetwork || null) as PartnerNetwork | null,
      payoutWallet: w.payoutWallet || null,
      at: w.registeredAt!,
    }),
  },
});

export const deviceEventCodec = eventCodec<DeviceEvent>()({
  DeviceRegistered: {
    schema: inventoryV1.DeviceRegisteredSchema,
    toWire: ({ spec, ...e }) => ({
      deviceId: e.deviceId,
      supplierId: e.supplierId,
      tenantId: e.tenantId,
      agentPublicKey: e.agentPublicKey,
      deviceClass: spec.deviceClass,
      gpu: spec.gpu ?? undefined,
      cpuCores: spec.cpuCores,
      ramMib: spec.ramMib,
      diskGib: spec.diskGib,
      countryCode: spec.countryCode,
      region: spec.region,
      connectivityTier: spec.connectivityTier,
      securityTier: spec.securityTier,
      source: e.source,
      askPricePerGpuHour: e.askPricePerGpuHour,
      payoutWallet: e.payoutWallet,
      registeredAt: e.at,
      simulated: e.simulated,
      partnerNetwork: e.partner?.network ?? '',
      enrollmentTokenId: e.enrollmentTokenId ?? undefined,
      partnerExternalId: e.partner?.externalId,
      statusReason: e.statusReason,
      ...e.agent,
    }),
    fromWire: (w) => ({
      type: 'DeviceRegistered',
      deviceId: w.deviceId,
      supplierId: w.supplierId,
      tenantId: w.tenantId,
      agentPublicKey: w.agentPublicKey,
      spec: specOf(w),
      source: w.source as SupplierSource,
      askPricePerGpuHour: usdc(w.askPricePerGpuHour!),
      payoutWallet: w.payoutWallet,
      simulated: w.simulated,
      enrollmentTokenId: w.enrollmentTokenId ?? null,
      partner: w.partnerNetwork ? { network: w.partnerNetwork, externalId: w.partnerExternalId ?? '' } : null,
      agent: { gpuUuids: w.gpuUuids, reportedGpuModel: w.reportedGpuModel, hostname: w.hostname, agentVersion: w.agentVersion } satisfies AgentDetails,
      // Events written before reasons existed read as the pending reason of their kind.
      statusReason: w.statusReason || pendingReason(w.agentPublicKey !== ''),
      at: w.registeredAt!,
    }),
  },
  DevicePriceSet: {
    schema: inventoryV1.DevicePriceSetSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, askPricePerGpuHour: e.askPricePerGpuHour, setAt: e.at }),
    fromWire: (w) => ({ type: 'DevicePriceSet', deviceId: w.deviceId, supplierId: w.supplierId, askPricePerGpuHour: usdc(w.askPricePerGpuHour!), at: w.setAt! }),
  },
  DeviceSpecUpdated: {
    schema: inventoryV1.DeviceSpecUpdatedSchema,
    toWire: ({ spec, ...e }) => ({ deviceId: e.deviceId, supplierId: e.supplierId, ...spec, gpu: spec.gpu ?? undefined, updatedAt: e.at }),
    fromWire: (w) => ({ type: 'DeviceSpecUpdated', deviceId: w.deviceId, supplierId: w.supplierId, spec: specOf(w), at: w.updatedAt! }),
  },
  DeviceAgentAttached: {
    schema: inventoryV1.DeviceAgentAttachedSchema,
    toWire: (e) => ({
      deviceId: e.deviceId,
      supplierId: e.supplierId,
      agentPublicKey: e.agentPublicKey,
      enrollmentTokenId: e.enrollmentTokenId,
      simulated: e.simulated,
      ...e.agent,
      attachedAt: e.at,
      status: e.status,
      statusReason: e.statusReason,
    }),
    fromWire: (w) => ({
      type: 'DeviceAgentAttached',
      deviceId: w.deviceId,
      supplierId: w.supplierId,
      agentPublicKey: w.agentPublicKey,
      enrollmentTokenId: w.enrollmentTokenId,
      simulated: w.simulated,
      agent: { gpuUuids: w.gpuUuids, reportedGpuModel: w.reportedGpuModel, hostname: w.hostname, agentVersion: w.agentVersion },
      at: w.attachedAt!,
      status: w.status as DeviceStatus,
      statusReason: w.statusReason,
    }),
  },
  DeviceBecameClusterReady: {
    schema: inventoryV1.DeviceBecameClusterReadySchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, challengeId: e.challengeId, readyAt: e.at, status: e.status, statusReason: e.statusReason }),
    fromWire: (w) => ({ type: 'DeviceBecameClusterReady', deviceId: w.deviceId, supplierId: w.supplierId, challengeId: w.challengeId, at: w.readyAt!, ...statusOf(w, 'cluster_ready') }),
  },
  DeviceWentOffline: {
    schema: inventoryV1.DeviceWentOfflineSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, lastSeenAt: e.lastSeenAt, detectedAt: e.at, status: e.status, statusReason: e.statusReason }),
    fromWire: (w) => ({ type: 'DeviceWentOffline', deviceId: w.deviceId, supplierId: w.supplierId, lastSeenAt: w.lastSeenAt!, at: w.detectedAt!, ...statusOf(w, 'offline') }),
  },
  DeviceCameOnline: {
    schema: inventoryV1.DeviceCameOnlineSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, onlineAt: e.at, status: e.status, statusReason: e.statusReason }),
    fromWire: (w) => ({ type: 'DeviceCameOnline', deviceId: w.deviceId, supplierId: w.supplierId, at: w.onlineAt!, ...statusOf(w, 'pending') }),
  },
  DeviceBlocked: {
    schema: inventoryV1.DeviceBlockedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, reason: e.reason, detail: e.detail, blockedAt: e.at, status: e.status, statusReason: e.statusReason }),
    fromWire: (w) => ({ type: 'DeviceBlocked', deviceId: w.deviceId, supplierId: w.supplierId, reason: w.reason as BlockReason, detail: w.detail, at: w.blockedAt!, ...statusOf(w, 'blocked') }),
  },
  DevicePaused: {
    schema: inventoryV1.DevicePausedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, pausedAt: e.at, status: e.status, statusReason: e.statusReason }),
    fromWire: (w) => ({ type: 'DevicePaused', deviceId: w.deviceId, supplierId: w.supplierId, at: w.pausedAt!, status: w.status as DeviceStatus, statusReason: w.statusReason }),
  },
  DeviceResumed: {
    schema: inventoryV1.DeviceResumedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, resumedAt: e.at, status: e.status, statusReason: e.statusReason }),
    fromWire: (w) => ({ type: 'DeviceResumed', deviceId: w.deviceId, supplierId: w.supplierId, at: w.resumedAt!, status: w.status as DeviceStatus, statusReason: w.statusReason }),
  },
  DeviceLeased: {
    schema: inventoryV1.DeviceLeasedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, leaseId: e.leaseId, leasedAt: e.at, status: e.status, statusReason: e.statusReason }),
    fromWire: (w) => ({ type: 'DeviceLeased', deviceId: w.deviceId, supplierId: w.supplierId, leaseId: w.leaseId, at: w.leasedAt!, status: w.status as DeviceStatus, statusReason: w.statusReason }),
  },
  DeviceReleased: {
    schema: inventoryV1.DeviceReleasedSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, leaseId: e.leaseId, releasedAt: e.at, status: e.status, statusReason: e.statusReason }),
    fromWire: (w) => ({ type: 'DeviceReleased', deviceId: w.deviceId, supplierId: w.supplierId, leaseId: w.leaseId, at: w.releasedAt!, status: w.status as DeviceStatus, statusReason: w.statusReason }),
  },
});

export const enrollmentTokenEventCodec = eventCodec<EnrollmentTokenEvent>()({
  EnrollmentTokenIssued: {
    schema: inventoryV1.EnrollmentTokenIssuedSchema,
    toWire: (e) => ({
      enrollmentTokenId: e.enrollmentTokenId,
      supplierId: e.supplierId,
      tenantId: e.tenantId,
      secretSha256: e.secretSha256,
      expiresAt: e.expiresAt,
      issuedAt: e.at,
      askPricePerGpuHour: e.defaults.askPricePerGpuHour ?? undefined,
      connectivityTier: e.defaults.connectivityTier ?? undefined,
      securityTier: e.defaults.securityTier ?? undefined,
      payoutWallet: e.defaults.payoutWallet ?? '',
      deviceId: e.deviceId ?? undefined,
    }),
    fromWire: (w) => ({
      type: 'EnrollmentTokenIssued',
      enrollmentTokenId: w.enrollmentTokenId,
      supplierId: w.supplierId,
      tenantId: w.tenantId,
      secretSha256: w.secretSha256,
      expiresAt: w.expiresAt!,
      defaults: {
        askPricePerGpuHour: w.askPricePerGpuHour ? usdc(w.askPricePerGpuHour) : null,
        connectivityTier: (w.connectivityTier as ConnectivityTier | undefined) ?? null,
        securityTier: (w.securityTier as SecurityTier | undefined) ?? null,
        payoutWallet: w.payoutWallet || null,
      },
      deviceId: w.deviceId ?? null,
      at: w.issuedAt!,
    }),
  },
  EnrollmentTokenRedeemed: {
    schema: inventoryV1.EnrollmentTokenRedeemedSchema,
    toWire: (e) => ({ enrollmentTokenId: e.enrollmentTokenId, supplierId: e.supplierId, deviceId: e.deviceId, agentPublicKey: e.agentPublicKey, redeemedAt: e.at }),
    fromWire: (w) => ({ type: 'EnrollmentTokenRedeemed', enrollmentTokenId: w.enrollmentTokenId, supplierId: w.supplierId, deviceId: w.deviceId, agentPublicKey: w.agentPublicKey, at: w.redeemedAt! }),
  },
});

/** The spec fields as DeviceRegistered and DeviceSpecUpdated both carry them (domain shape of the wire). */
export type WireDeviceSpec = Pick<
  DomainOf<inventoryV1.DeviceSpecUpdated>,
  'deviceClass' | 'gpu' | 'cpuCores' | 'ramMib' | 'diskGib' | 'countryCode' | 'region' | 'connectivityTier' | 'securityTier'
>;

function specOf(w: WireDeviceSpec): DeviceSpec {
  return {
    deviceClass: w.deviceClass as DeviceClass,
    gpu: w.gpu ? { model: w.gpu.model, vramMib: w.gpu.vramMib, count: w.gpu.count } : null,
    cpuCores: w.cpuCores,
    ramMib: w.ramMib,
    diskGib: w.diskGib,
    countryCode: w.countryCode,
    region: w.region,
    connectivityTier: w.connectivityTier as ConnectivityTier,
    securityTier: w.securityTier as SecurityTier,
  };
}

/** Facts published before statuses were stamped on them (the older inventory messages) read with
 *  the status they stand for; the decider's fold recomputes the status either way. */
function statusOf(w: { status?: string | undefined; statusReason: string }, fallback: DeviceStatus): { status: DeviceStatus; statusReason: string } {
  return { status: (w.status as DeviceStatus | undefined) ?? fallback, statusReason: w.statusReason };
}

/** Ask prices are USDC by contract; any other asset is a contract violation (dead-lettered), not a price. */
function usdc(money: DomainMoney): PricePerGpuHour {
  if (money.asset !== 'USDC') throw new ContractError(CONTRACT_ERROR_CODES.invalidMoney, `an ask price must be in USDC, not ${money.asset}`);
  return { amountBaseUnits: money.amountBaseUnits, asset: 'USDC' };
}
