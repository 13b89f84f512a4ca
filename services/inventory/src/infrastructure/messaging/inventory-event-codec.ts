import { CONTRACT_ERROR_CODES, ContractError, commonV1, enumCodec, inventoryV1, type DomainMoney } from '@ionet/contracts';
import { eventCodec } from '@ionet/eventing';
import { CONNECTIVITY_TIERS, DEVICE_CLASSES, SECURITY_TIERS, type ConnectivityTier, type DeviceClass, type DeviceEvent, type PricePerGpuHour, type SecurityTier } from '../../domain/device/device.decider';
import { SUPPLIER_SOURCES, type PartnerNetwork, type SupplierEvent, type SupplierSource } from '../../domain/supplier/supplier.decider';

// Asserted at start-up: the domain's names are exactly the contract's, so the casts below hold.
enumCodec(commonV1.SupplySourceSchema, SUPPLIER_SOURCES);
enumCodec(commonV1.ConnectivityTierSchema, CONNECTIVITY_TIERS);
enumCodec(commonV1.SecurityTierSchema, SECURITY_TIERS);
enumCodec(commonV1.DeviceClassSchema, DEVICE_CLASSES);

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
      // Filled in by the supply-side lifecycle (enrollment, simulated GPUs, partner networks).
      simulated: false,
      partnerNetwork: '',
      enrollmentTokenId: undefined,
      partnerExternalId: undefined,
    }),
    fromWire: (w) => ({
      type: 'DeviceRegistered',
      deviceId: w.deviceId,
      supplierId: w.supplierId,
      tenantId: w.tenantId,
      agentPublicKey: w.agentPublicKey,
      spec: {
        deviceClass: w.deviceClass as DeviceClass,
        gpu: w.gpu ? { model: w.gpu.model, vramMib: w.gpu.vramMib, count: w.gpu.count } : null,
        cpuCores: w.cpuCores,
        ramMib: w.ramMib,
        diskGib: w.diskGib,
        countryCode: w.countryCode,
        region: w.region,
        connectivityTier: w.connectivityTier as ConnectivityTier,
        securityTier: w.securityTier as SecurityTier,
      },
      source: w.source as SupplierSource,
      askPricePerGpuHour: usdc(w.askPricePerGpuHour!),
      payoutWallet: w.payoutWallet,
      at: w.registeredAt!,
    }),
  },
  DevicePriceSet: {
    schema: inventoryV1.DevicePriceSetSchema,
    toWire: (e) => ({ deviceId: e.deviceId, supplierId: e.supplierId, askPricePerGpuHour: e.askPricePerGpuHour, setAt: e.at }),
    fromWire: (w) => ({ type: 'DevicePriceSet', deviceId: w.deviceId, supplierId: w.supplierId, askPricePerGpuHour: usdc(w.askPricePerGpuHour!), at: w.setAt! }),
  },
});

/** Ask prices are USDC by contract; any other asset is a contract violation (dead-lettered), not a price. */
function usdc(money: DomainMoney): PricePerGpuHour {
  if (money.asset !== 'USDC') throw new ContractError(CONTRACT_ERROR_CODES.invalidMoney, `an ask price must be in USDC, not ${money.asset}`);
  return { amountBaseUnits: money.amountBaseUnits, asset: 'USDC' };
}
