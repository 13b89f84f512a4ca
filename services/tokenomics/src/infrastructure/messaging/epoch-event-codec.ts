import { CONTRACT_ERROR_CODES, ContractError, tokenomicsV1, type DomainMoney } from '@ionet/contracts';
import { eventCodec } from '@ionet/eventing';
import type { RewardPool } from '@ionet/tokenomics';
import type { EpochEvent } from '../../domain/epoch/epoch.decider';

export const io = (amountBaseUnits: bigint): DomainMoney => ({ amountBaseUnits, asset: 'IO' });

/** An IO amount of an event: any other asset is a broken contract. */
export function ioAmount(value: DomainMoney | undefined, field: string): bigint {
  if (!value) throw new ContractError(CONTRACT_ERROR_CODES.violation, `${field} is missing`);
  if (value.asset !== 'IO') throw new ContractError(CONTRACT_ERROR_CODES.violation, `${field} is in ${value.asset}, not IO`);
  return value.amountBaseUnits;
}

const POOL_TO_WIRE: Record<RewardPool, 'gpu' | 'cpu'> = { GPU: 'gpu', CPU: 'cpu' };
function poolFromWire(pool: string): RewardPool {
  if (pool === 'gpu') return 'GPU';
  if (pool === 'cpu') return 'CPU';
  throw new ContractError(CONTRACT_ERROR_CODES.violation, `reward pool ${pool} is neither gpu nor cpu`);
}


export const epochEventCodec = eventCodec<EpochEvent>()({
  EpochClosed: {
    schema: tokenomicsV1.EpochClosedSchema,
    toWire: (e) => ({
      epochNumber: BigInt(e.epoch),
      epochStart: e.epochStart,
      epochEnd: e.epochEnd,
      eligibleGpuDeviceHours: BigInt(e.eligibleGpuDeviceHours),
      eligibleCpuDeviceHours: BigInt(e.eligibleCpuDeviceHours),
      closedAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'EpochClosed',
      epoch: Number(w.epochNumber),
      epochStart: w.epochStart!,
      epochEnd: w.epochEnd!,
      eligibleGpuDeviceHours: Number(w.eligibleGpuDeviceHours),
      eligibleCpuDeviceHours: Number(w.eligibleCpuDeviceHours),
      at: w.closedAt!,
    }),
  },
  RewardsAllocated: {
    schema: tokenomicsV1.RewardsAllocatedSchema,
    toWire: (e) => ({
      epochNumber: BigInt(e.epoch),
      pool: POOL_TO_WIRE[e.pool],
      allocations: e.allocations.map((a) => ({
        deviceId: a.deviceId,
        supplierId: a.supplierId,
        recipientWallet: a.recipientWallet,
        recipientKind: a.recipientKind,
        amount: io(a.amountBaseUnits),
        deviceHours: BigInt(a.deviceHours),
        multiplierBasisPoints: a.multiplierBps,
      })),
      poolTotal: io(e.poolTotalBaseUnits),
      remainder: io(e.remainderBaseUnits),
      remainderAccount: e.remainderAccount,
      allocatedAt: e.at,
    }),
    fromWire: (w) => ({
      type: 'RewardsAllocated',
      epoch: Number(w.epochNumber),
      pool: poolFromWire(w.pool),
      allocations: w.allocations.map((a, i) => ({
        deviceId: a.deviceId,
        supplierId: a.supplierId,
        recipientWallet: a.recipientWallet,
        recipientKind: a.recipientKind === 'co_staker' ? 'co_staker' : 'supplier',
        amountBaseUnits: ioAmount(a.amount, `allocations[${i}].amount`),
        deviceHours: Number(a.deviceHours),
        multiplierBps: a.multiplierBasisPoints,
      })),
      poolTotalBaseUnits: ioAmount(w.poolTotal, 'pool_total'),
      remainderBaseUnits: ioAmount(w.remainder, 'remainder'),
      remainderAccount: w.remainderAccount,
      at: w.allocatedAt!,
    }),
  },
});
