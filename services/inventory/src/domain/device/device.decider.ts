import { isSolanaAddress } from '../supplier/base58';
import type { SupplierSource } from '../supplier/supplier.decider';
import { InventoryError } from '../shared/inventory.errors';

export const CONNECTIVITY_TIERS = ['low', 'medium', 'high', 'ultra_high'] as const;
export type ConnectivityTier = (typeof CONNECTIVITY_TIERS)[number];
export const SECURITY_TIERS = ['standard', 'secure', 'compliant'] as const;
export type SecurityTier = (typeof SECURITY_TIERS)[number];
export const DEVICE_CLASSES = ['gpu', 'cpu'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

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
      at: Date;
    }
  | { type: 'DevicePriceSet'; deviceId: string; supplierId: string; askPricePerGpuHour: PricePerGpuHour; at: Date };

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
      at: Date;
    }
  | { type: 'SetDevicePrice'; deviceId: string; askPricePerGpuHour: PricePerGpuHour; at: Date };

export type DeviceState =
  | { status: 'unregistered' }
  | { status: 'registered'; deviceId: string; supplierId: string; tenantId: string; askPricePerGpuHour: PricePerGpuHour };

export const initialDeviceState: DeviceState = { status: 'unregistered' };

/** Sanity bounds on claimed hardware: a claim outside them is a typo or a spoof. */
const GPU_COUNT_MAX = 16;
const VRAM_MIB_MAX = 512 * 1024;
/** 1,000 USDC per GPU-hour: far above any market price, below any overflow. */
const PRICE_BASE_UNITS_MAX = 1_000n * 1_000_000n;

export function decideDevice(command: DeviceCommand, state: DeviceState): DeviceEvent[] {
  switch (command.type) {
    case 'RegisterDevice': {
      if (state.status !== 'unregistered') throw new InventoryError('DEVICE.ALREADY_EXISTS', `device ${command.deviceId} is already registered`);
      const supplier = command.supplier;
      if (!supplier) throw new InventoryError('SUPPLIER.NOT_FOUND', 'the device names no registered supplier');
      assertSpec(command.spec);
      assertPrice(command.askPricePerGpuHour);
      if (!isSolanaAddress(command.agentPublicKey)) throw new InventoryError('DEVICE.INVALID_AGENT_KEY', 'agentPublicKey must be a base58 ed25519 public key');
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
          spec: { ...command.spec, countryCode: command.spec.countryCode.toUpperCase() },
          source: supplier.source,
          askPricePerGpuHour: command.askPricePerGpuHour,
          payoutWallet,
          at: command.at,
        },
      ];
    }
    case 'SetDevicePrice': {
      if (state.status !== 'registered') throw new InventoryError('DEVICE.NOT_FOUND', `no device ${command.deviceId}`);
      assertPrice(command.askPricePerGpuHour);
      // Setting the price it already has changes nothing: PUT stays idempotent.
      if (state.askPricePerGpuHour.amountBaseUnits === command.askPricePerGpuHour.amountBaseUnits) return [];
      return [{ type: 'DevicePriceSet', deviceId: state.deviceId, supplierId: state.supplierId, askPricePerGpuHour: command.askPricePerGpuHour, at: command.at }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export function evolveDevice(state: DeviceState, event: DeviceEvent): DeviceState {
  switch (event.type) {
    case 'DeviceRegistered':
      return { status: 'registered', deviceId: event.deviceId, supplierId: event.supplierId, tenantId: event.tenantId, askPricePerGpuHour: event.askPricePerGpuHour };
    case 'DevicePriceSet':
      return state.status === 'registered' ? { ...state, askPricePerGpuHour: event.askPricePerGpuHour } : state;
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

function assertSpec(spec: DeviceSpec): void {
  const problems: string[] = [];
  if (spec.deviceClass === 'gpu') {
    if (!spec.gpu) problems.push('a GPU device describes its GPUs');
    else {
      if (!spec.gpu.model.trim()) problems.push('gpu.model is empty');
      if (!Number.isInteger(spec.gpu.count) || spec.gpu.count < 1 || spec.gpu.count > GPU_COUNT_MAX) problems.push(`gpu.count must be 1 to ${GPU_COUNT_MAX}`);
      if (!Number.isInteger(spec.gpu.vramMib) || spec.gpu.vramMib < 1 || spec.gpu.vramMib > VRAM_MIB_MAX) problems.push('gpu.vramMib is out of range');
    }
  } else if (spec.gpu) problems.push('a CPU device has no GPUs');
  if (!/^[A-Za-z]{2}$/.test(spec.countryCode)) problems.push('countryCode must be ISO 3166-1 alpha-2');
  for (const [name, value] of [['cpuCores', spec.cpuCores], ['ramMib', spec.ramMib], ['diskGib', spec.diskGib]] as const) {
    if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be a positive integer`);
  }
  if (problems.length) throw new InventoryError('DEVICE.INVALID_SPEC', problems.join('; '));
}

function assertPrice(price: PricePerGpuHour): void {
  if (price.asset !== 'USDC' || price.amountBaseUnits <= 0n || price.amountBaseUnits > PRICE_BASE_UNITS_MAX) {
    throw new InventoryError('DEVICE.INVALID_PRICE', 'askPricePerGpuHour must be 1 to 1,000,000,000 USDC base units (6 decimals)');
  }
}
