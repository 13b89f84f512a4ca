import { isSolanaAddress } from '@ionet/contracts';
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
