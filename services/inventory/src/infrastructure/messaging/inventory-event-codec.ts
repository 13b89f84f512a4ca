import { fromBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, amountBaseUnitsOf, commonV1, inventoryV1, money } from '@ionet/contracts';
import type { NewEvent, StoredEvent } from '@ionet/eventing';
import type { ConnectivityTier, DeviceClass, DeviceEvent, SecurityTier } from '../../domain/device/device.decider';
import type { PartnerNetwork, SupplierEvent, SupplierSource } from '../../domain/supplier/supplier.decider';

// Domain values <-> protobuf enums, both ways from one table each.
const SOURCES: [SupplierSource, commonV1.SupplySource][] = [
  ['data_center', commonV1.SupplySource.DATA_CENTER],
  ['mining_farm', commonV1.SupplySource.MINING_FARM],
  ['individual', commonV1.SupplySource.INDIVIDUAL],
  ['partner_network', commonV1.SupplySource.PARTNER_NETWORK],
];
const CONNECTIVITY: [ConnectivityTier, commonV1.ConnectivityTier][] = [
  ['low', commonV1.ConnectivityTier.LOW],
  ['medium', commonV1.ConnectivityTier.MEDIUM],
  ['high', commonV1.ConnectivityTier.HIGH],
  ['ultra_high', commonV1.ConnectivityTier.ULTRA_HIGH],
];
const SECURITY: [SecurityTier, commonV1.SecurityTier][] = [
  ['standard', commonV1.SecurityTier.STANDARD],
  ['secure', commonV1.SecurityTier.SECURE],
  ['compliant', commonV1.SecurityTier.COMPLIANT],
];
const CLASSES: [DeviceClass, commonV1.DeviceClass][] = [
  ['gpu', commonV1.DeviceClass.GPU],
  ['cpu', commonV1.DeviceClass.CPU],
];

function toWire<D, W>(table: [D, W][], value: D): W {
  const row = table.find(([d]) => d === value);
  if (!row) throw new Error(`no wire value for ${String(value)}`);
  return row[1];
}

export function fromWire<D, W>(table: [D, W][], value: W): D {
  const row = table.find(([, w]) => w === value);
  if (!row) throw new Error(`unknown wire value ${String(value)}`);
  return row[0];
}

export const INVENTORY_ENUMS = { SOURCES, CONNECTIVITY, SECURITY, CLASSES };

export function supplierEventToWire(event: SupplierEvent): NewEvent {
  switch (event.type) {
    case 'SupplierRegistered':
      return {
        schema: inventoryV1.SupplierRegisteredSchema,
        occurredAt: event.at,
        data: {
          supplierId: event.supplierId,
          tenantId: event.tenantId,
          displayName: event.name,
          source: toWire(SOURCES, event.source),
          partnerNetwork: event.partnerNetwork ?? '',
          payoutWallet: event.payoutWallet ?? '',
          registeredAt: timestampFromDate(event.at),
        },
      };
    default: {
      const unhandled: never = event.type;
      throw new Error(`unhandled event ${String(unhandled)}`);
    }
  }
}

export function deviceEventToWire(event: DeviceEvent): NewEvent {
  switch (event.type) {
    case 'DeviceRegistered':
      return {
        schema: inventoryV1.DeviceRegisteredSchema,
        occurredAt: event.at,
        data: {
          deviceId: event.deviceId,
          supplierId: event.supplierId,
          tenantId: event.tenantId,
          agentPublicKey: event.agentPublicKey,
          deviceClass: toWire(CLASSES, event.spec.deviceClass),
          ...(event.spec.gpu ? { gpu: { model: event.spec.gpu.model, vramMib: event.spec.gpu.vramMib, count: event.spec.gpu.count } } : {}),
          cpuCores: event.spec.cpuCores,
          ramMib: event.spec.ramMib,
          diskGib: event.spec.diskGib,
          countryCode: event.spec.countryCode,
          region: event.spec.region,
          connectivityTier: toWire(CONNECTIVITY, event.spec.connectivityTier),
          securityTier: toWire(SECURITY, event.spec.securityTier),
          source: toWire(SOURCES, event.source),
          askPricePerGpuHour: money(event.askPricePerGpuHour.amountBaseUnits, Asset.USDC),
          payoutWallet: event.payoutWallet,
          registeredAt: timestampFromDate(event.at),
        },
      };
    case 'DevicePriceSet':
      return {
        schema: inventoryV1.DevicePriceSetSchema,
        occurredAt: event.at,
        data: {
          deviceId: event.deviceId,
          supplierId: event.supplierId,
          askPricePerGpuHour: money(event.askPricePerGpuHour.amountBaseUnits, Asset.USDC),
          setAt: timestampFromDate(event.at),
        },
      };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

export function supplierEventFromStored(stored: StoredEvent): SupplierEvent {
  switch (stored.metadata.eventType) {
    case 'ionet.inventory.v1.SupplierRegistered': {
      const e = fromBinary(inventoryV1.SupplierRegisteredSchema, stored.payload);
      return {
        type: 'SupplierRegistered',
        supplierId: e.supplierId,
        tenantId: e.tenantId,
        name: e.displayName,
        source: fromWire(SOURCES, e.source),
        partnerNetwork: (e.partnerNetwork || null) as PartnerNetwork | null,
        payoutWallet: e.payoutWallet || null,
        at: timestampDate(e.registeredAt!),
      };
    }
    default:
      throw new Error(`supplier stream holds an unexpected ${stored.metadata.eventType}`);
  }
}

export function deviceEventFromStored(stored: StoredEvent): DeviceEvent {
  switch (stored.metadata.eventType) {
    case 'ionet.inventory.v1.DeviceRegistered': {
      const e = fromBinary(inventoryV1.DeviceRegisteredSchema, stored.payload);
      return {
        type: 'DeviceRegistered',
        deviceId: e.deviceId,
        supplierId: e.supplierId,
        tenantId: e.tenantId,
        agentPublicKey: e.agentPublicKey,
        spec: {
          deviceClass: fromWire(CLASSES, e.deviceClass),
          gpu: e.gpu ? { model: e.gpu.model, vramMib: e.gpu.vramMib, count: e.gpu.count } : null,
          cpuCores: e.cpuCores,
          ramMib: e.ramMib,
          diskGib: e.diskGib,
          countryCode: e.countryCode,
          region: e.region,
          connectivityTier: fromWire(CONNECTIVITY, e.connectivityTier),
          securityTier: fromWire(SECURITY, e.securityTier),
        },
        source: fromWire(SOURCES, e.source),
        askPricePerGpuHour: { amountBaseUnits: amountBaseUnitsOf(e.askPricePerGpuHour), asset: 'USDC' },
        payoutWallet: e.payoutWallet,
        at: timestampDate(e.registeredAt!),
      };
    }
    case 'ionet.inventory.v1.DevicePriceSet': {
      const e = fromBinary(inventoryV1.DevicePriceSetSchema, stored.payload);
      return {
        type: 'DevicePriceSet',
        deviceId: e.deviceId,
        supplierId: e.supplierId,
        askPricePerGpuHour: { amountBaseUnits: amountBaseUnitsOf(e.askPricePerGpuHour), asset: 'USDC' },
        at: timestampDate(e.setAt!),
      };
    }
    default:
      throw new Error(`device stream holds an unexpected ${stored.metadata.eventType}`);
  }
}
