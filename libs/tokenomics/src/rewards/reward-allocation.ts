import { apportion, assertBps, bpsOfFloor } from '../math/exact';
import { gpuMultiplierBpsOrUndefined, TokenomicsParameters, validateParameters } from '../parameters/tokenomics-parameters';
import { TokenomicsError } from '../tokenomics.errors';

export type RewardPool = 'GPU' | 'CPU';
export const REWARD_POOLS: readonly RewardPool[] = ['GPU', 'CPU'];

export type ConnectivityTier = 'ULTRA_HIGH' | 'HIGH' | 'MEDIUM' | 'LOW';

/** What the allocation needs to know about one device for one epoch. */
export interface DeviceEpochRecord {
  readonly deviceId: string;
  readonly supplierId: string;
  readonly pool: RewardPool;
  /** GPU model for GPU devices; the CPU model (usually at the default multiplier) for CPU devices. */
  readonly model: string;
  /** GPUs on the device; CPU devices count as one unit. */
  readonly unitCount: number;
  /** Whole device-hours the device was available in the epoch (1 for a full hourly epoch). */
  readonly deviceHours: number;
  /** Continuous uptime at the end of the epoch. */
  readonly uptimeHours: number;
  /** Stake counting toward the device's minimum (owner plus co-staker). */
  readonly stakedBaseUnits: bigint;
  readonly walletAddress: string | null;
  readonly connectivityTier: ConnectivityTier | null;
  /** A co-staker earning rewards now, with the share of this device's rewards agreed in the offer. */
  readonly coStaker: { readonly wallet: string; readonly shareBps: number } | null;
}

export type IneligibilityReason =
  | 'UPTIME_BELOW_MINIMUM'
  | 'STAKE_BELOW_MINIMUM'
  | 'NO_WALLET'
  | 'ZERO_MULTIPLIER'
  | 'UNKNOWN_CONNECTIVITY'
  | 'NO_DEVICE_HOURS'
  /** A GPU model outside the catalogue while governance configured no multiplier for unknown models. */
  | 'UNKNOWN_MODEL';

export type RewardRecipient = { readonly kind: 'supplier'; readonly supplierId: string } | { readonly kind: 'co-staker'; readonly wallet: string };

export interface RewardPayout {
  readonly deviceId: string;
  readonly pool: RewardPool;
  readonly recipient: RewardRecipient;
  readonly amountBaseUnits: bigint;
}

export interface PoolSummary {
  readonly poolBaseUnits: bigint;
  readonly allocatedBaseUnits: bigint;
  readonly totalWeight: bigint;
  readonly eligibleDevices: number;
}

export interface EpochRewardAllocation {
  readonly epoch: number;
  readonly emissionBaseUnits: bigint;
  readonly pools: Readonly<Record<RewardPool, PoolSummary>>;
  /** Sorted by device id, supplier before co-staker; zero amounts are left out. */
  readonly payouts: readonly RewardPayout[];
  /** Emission of pools without an eligible device, carried to the emission reserve. */
  readonly reserveBaseUnits: bigint;
  readonly ineligible: ReadonlyArray<{ readonly deviceId: string; readonly reasons: readonly IneligibilityReason[] }>;
}

/** The device's multiplier, or undefined for a GPU model that is unknown and refused (ADR 0107). */
function multiplierOf(device: DeviceEpochRecord, parameters: TokenomicsParameters): number | undefined {
  return device.pool === 'CPU' ? parameters.cpuDeviceMultiplierBps : gpuMultiplierBpsOrUndefined(device.model, parameters);
}

/** 200 IO * max(1, multiplier) * units, rounded up; the same rule as minimumStakeBaseUnits. */
function minimumStakeFor(device: DeviceEpochRecord, multiplierBps: number, parameters: TokenomicsParameters): bigint {
  return (parameters.minimumStakePerGpuBaseUnits * BigInt(Math.max(10_000, multiplierBps)) * BigInt(device.unitCount) + 9_999n) / 10_000n;
}

export function ineligibilityReasons(device: DeviceEpochRecord, parameters: TokenomicsParameters): IneligibilityReason[] {
  const reasons: IneligibilityReason[] = [];
  const multiplierBps = multiplierOf(device, parameters);
  if (device.uptimeHours < parameters.minimumUptimeHours) reasons.push('UPTIME_BELOW_MINIMUM');
  if (multiplierBps !== undefined && device.stakedBaseUnits < minimumStakeFor(device, multiplierBps, parameters)) reasons.push('STAKE_BELOW_MINIMUM');
  if (!device.walletAddress) reasons.push('NO_WALLET');
  if (multiplierBps === undefined) reasons.push('UNKNOWN_MODEL');
  else if (multiplierBps <= 0) reasons.push('ZERO_MULTIPLIER');
  if (device.connectivityTier === null) reasons.push('UNKNOWN_CONNECTIVITY');
  if (device.deviceHours <= 0) reasons.push('NO_DEVICE_HOURS');
  return reasons;
}

function validate(device: DeviceEpochRecord): void {
  const bad = (what: string) => new TokenomicsError('REWARDS.INVALID_INPUT', `device ${device.deviceId}: ${what}`);
  if (!REWARD_POOLS.includes(device.pool)) throw new TokenomicsError('REWARDS.UNKNOWN_POOL', `device ${device.deviceId}: unknown pool "${String(device.pool)}"`);
  if (!Number.isSafeInteger(device.unitCount) || device.unitCount < 1) throw bad('unitCount must be a positive integer');
  if (!Number.isSafeInteger(device.deviceHours) || device.deviceHours < 0) throw bad('deviceHours must be a non-negative integer');
  if (!Number.isFinite(device.uptimeHours) || device.uptimeHours < 0) throw bad('uptimeHours must be non-negative');
  if (device.coStaker) {
    try {
      assertBps(device.coStaker.shareBps, 'co-staker share');
    } catch (error) {
      throw bad((error as Error).message);
    }
  }
}

/**
 * Allocates one epoch's emission exactly (ADR 0102). The GPU pool is floor(E * gpuShare), the CPU pool
 * the rest. Within a pool each eligible device weighs device-hours * units * multiplier and gets its
 * largest-remainder share (ties by device id). The co-staker gets floor(device amount * share) and the
 * supplier the rest. A pool without eligible devices goes whole to the reserve. Payouts plus reserve
 * always equal the emission.
 */
export function allocateEpochRewards(input: {
  readonly epoch: number;
  readonly emissionBaseUnits: bigint;
  readonly devices: readonly DeviceEpochRecord[];
  readonly parameters: TokenomicsParameters;
}): EpochRewardAllocation {
  const { epoch, emissionBaseUnits, devices, parameters } = input;
  if (emissionBaseUnits < 0n) throw new TokenomicsError('REWARDS.INVALID_INPUT', 'emission cannot be negative');
  try {
    assertBps(parameters.gpuPoolShareBps, 'GPU pool share');
  } catch (error) {
    throw new TokenomicsError('REWARDS.INVALID_INPUT', (error as Error).message);
  }
  // Parameters arrive from callers, not only from a ParameterSchedule: a fractional multiplier would
  // otherwise fail deep inside BigInt with a plain RangeError.
  validateParameters(parameters);
  const ids = new Set<string>();
  for (const device of devices) {
    if (ids.has(device.deviceId)) throw new TokenomicsError('REWARDS.INVALID_INPUT', `device ${device.deviceId} appears twice`);
    ids.add(device.deviceId);
    validate(device);
  }
  const gpuPool = bpsOfFloor(emissionBaseUnits, parameters.gpuPoolShareBps);
  const poolAmounts: Record<RewardPool, bigint> = { GPU: gpuPool, CPU: emissionBaseUnits - gpuPool };

  const ineligible: { deviceId: string; reasons: IneligibilityReason[] }[] = [];
  const eligibleByPool: Record<RewardPool, DeviceEpochRecord[]> = { GPU: [], CPU: [] };
  for (const device of devices) {
    const reasons = ineligibilityReasons(device, parameters);
    if (reasons.length > 0) ineligible.push({ deviceId: device.deviceId, reasons });
    else eligibleByPool[device.pool].push(device);
  }

  const payouts: RewardPayout[] = [];
  let reserveBaseUnits = 0n;
  const pools = {} as Record<RewardPool, PoolSummary>;
  for (const pool of REWARD_POOLS) {
    const eligible = eligibleByPool[pool];
    const weights = eligible.map((d) => ({
      key: d.deviceId,
      weight: BigInt(d.deviceHours) * BigInt(d.unitCount) * BigInt(multiplierOf(d, parameters)!),
    }));
    const totalWeight = weights.reduce((s, w) => s + w.weight, 0n);
    if (totalWeight === 0n) {
      reserveBaseUnits += poolAmounts[pool];
      pools[pool] = { poolBaseUnits: poolAmounts[pool], allocatedBaseUnits: 0n, totalWeight, eligibleDevices: 0 };
      continue;
    }
    const shares = apportion(poolAmounts[pool], weights);
    for (const device of eligible) {
      const amount = shares.get(device.deviceId)!;
      const coStakerAmount = device.coStaker ? bpsOfFloor(amount, device.coStaker.shareBps) : 0n;
      const supplierAmount = amount - coStakerAmount;
      if (supplierAmount > 0n) payouts.push({ deviceId: device.deviceId, pool, recipient: { kind: 'supplier', supplierId: device.supplierId }, amountBaseUnits: supplierAmount });
      if (coStakerAmount > 0n) {
        payouts.push({ deviceId: device.deviceId, pool, recipient: { kind: 'co-staker', wallet: device.coStaker!.wallet }, amountBaseUnits: coStakerAmount });
      }
    }
    pools[pool] = { poolBaseUnits: poolAmounts[pool], allocatedBaseUnits: poolAmounts[pool], totalWeight, eligibleDevices: eligible.length };
  }
  payouts.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.recipient.kind === 'supplier' ? -1 : 1));
  ineligible.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
  return { epoch, emissionBaseUnits, pools, payouts, reserveBaseUnits, ineligible };
}
