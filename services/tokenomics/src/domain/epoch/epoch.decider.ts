import { allocateEpochRewards, deviceMultiplierBps, REWARD_POOLS, type DeviceEpochRecord, type RewardPool, type TokenomicsParameters } from '@ionet/tokenomics';
import { TokenomicsServiceError } from '../shared/tokenomics-service.errors';

/** Where an hour's emission goes when a pool has no eligible device (ADR 0610). */
export const EMISSION_RESERVE_ACCOUNT = 'token:emission-reserve';

export interface EpochAllocation {
  deviceId: string;
  supplierId: string;
  recipientWallet: string;
  recipientKind: 'supplier' | 'co_staker';
  amountBaseUnits: bigint;
  deviceHours: number;
  multiplierBps: number;
}

export type EpochEvent =
  | {
      type: 'EpochClosed';
      epoch: number;
      epochStart: Date;
      epochEnd: Date;
      eligibleGpuDeviceHours: number;
      eligibleCpuDeviceHours: number;
      at: Date;
    }
  | {
      type: 'RewardsAllocated';
      epoch: number;
      pool: RewardPool;
      allocations: EpochAllocation[];
      poolTotalBaseUnits: bigint;
      remainderBaseUnits: bigint;
      remainderAccount: string;
      at: Date;
    };

export type EpochCommand =
  | { type: 'CloseEpoch'; epoch: number; epochStart: Date; epochEnd: Date; devices: readonly DeviceEpochRecord[]; parameters: TokenomicsParameters; at: Date }
  /** The epoch's emission is minted: allocate it over the records the epoch was closed with. */
  | { type: 'AllocateEpoch'; epoch: number; emissionBaseUnits: bigint; devices: readonly DeviceEpochRecord[]; parameters: TokenomicsParameters; at: Date };

export type EpochState = { status: 'open' } | { status: 'closed'; epoch: number } | { status: 'allocated'; epoch: number; pools: RewardPool[] };
export const initialEpochState: EpochState = { status: 'open' };

/** Eligible device-hours per pool, by the same rules the allocation applies. */
export function eligibleDeviceHours(devices: readonly DeviceEpochRecord[], parameters: TokenomicsParameters): Record<RewardPool, number> {
  const allocation = allocateEpochRewards({ epoch: 1, emissionBaseUnits: 0n, devices, parameters });
  const ineligible = new Set(allocation.ineligible.map((d) => d.deviceId));
  const hours: Record<RewardPool, number> = { GPU: 0, CPU: 0 };
  for (const d of devices) if (!ineligible.has(d.deviceId)) hours[d.pool] += d.deviceHours;
  return hours;
}

/**
 * An hourly epoch: closed once (with its eligible device-hours), then allocated once its emission is
 * minted. A second close or allocation (a retried job, a redelivered EmissionMinted) decides nothing.
 */
export function decideEpoch(command: EpochCommand, state: EpochState): EpochEvent[] {
  switch (command.type) {
    case 'CloseEpoch': {
      if (state.status !== 'open') return [];
      const hours = eligibleDeviceHours(command.devices, command.parameters);
      return [
        {
          type: 'EpochClosed',
          epoch: command.epoch,
          epochStart: command.epochStart,
          epochEnd: command.epochEnd,
          eligibleGpuDeviceHours: hours.GPU,
          eligibleCpuDeviceHours: hours.CPU,
          at: command.at,
        },
      ];
    }
    case 'AllocateEpoch': {
      if (state.status === 'open') throw new TokenomicsServiceError('EPOCH.NOT_CLOSED', `epoch ${command.epoch} is not closed: nothing to allocate`);
      if (state.status === 'allocated') return [];
      return allocationEvents(command);
    }
    default: {
      const never: never = command;
      throw new Error(`unhandled command ${(never as { type: string }).type}`);
    }
  }
}

function allocationEvents(command: Extract<EpochCommand, { type: 'AllocateEpoch' }>): EpochEvent[] {
  const result = allocateEpochRewards({ epoch: command.epoch, emissionBaseUnits: command.emissionBaseUnits, devices: command.devices, parameters: command.parameters });
  const byId = new Map(command.devices.map((d) => [d.deviceId, d]));
  return REWARD_POOLS.map((pool) => {
    const allocations: EpochAllocation[] = result.payouts
      .filter((p) => p.pool === pool)
      .map((p) => {
        const device = byId.get(p.deviceId)!;
        return {
          deviceId: p.deviceId,
          supplierId: device.supplierId,
          recipientWallet: p.recipient.kind === 'supplier' ? device.walletAddress! : p.recipient.wallet,
          recipientKind: p.recipient.kind === 'supplier' ? 'supplier' : 'co_staker',
          amountBaseUnits: p.amountBaseUnits,
          deviceHours: device.deviceHours,
          multiplierBps: deviceMultiplierBps(device, command.parameters),
        };
      });
    const poolTotal = result.pools[pool].poolBaseUnits;
    const allocated = allocations.reduce((s, a) => s + a.amountBaseUnits, 0n);
    return {
      type: 'RewardsAllocated' as const,
      epoch: command.epoch,
      pool,
      allocations,
      poolTotalBaseUnits: poolTotal,
      remainderBaseUnits: poolTotal - allocated,
      remainderAccount: EMISSION_RESERVE_ACCOUNT,
      at: command.at,
    };
  });
}

export function evolveEpoch(state: EpochState, event: EpochEvent): EpochState {
  switch (event.type) {
    case 'EpochClosed':
      return { status: 'closed', epoch: event.epoch };
    case 'RewardsAllocated':
      return { status: 'allocated', epoch: event.epoch, pools: [...(state.status === 'allocated' ? state.pools : []), event.pool] };
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${(never as { type: string }).type}`);
    }
  }
}
