import { deciderSpec } from '@ionet/testing';
import { DEFAULT_TOKENOMICS_PARAMETERS, emissionForEpoch, minimumStakeBaseUnits, type DeviceEpochRecord } from '@ionet/tokenomics';
import { decideEpoch, evolveEpoch, initialEpochState, type EpochEvent } from './epoch.decider';

const spec = deciderSpec({ decide: decideEpoch, evolve: evolveEpoch, initialState: initialEpochState });
const parameters = DEFAULT_TOKENOMICS_PARAMETERS;
const start = new Date('2026-12-01T10:00:00Z');
const end = new Date('2026-12-01T11:00:00Z');
const at = new Date('2026-12-01T11:02:00Z');

function device(id: string, overrides: Partial<DeviceEpochRecord> = {}): DeviceEpochRecord {
  return {
    deviceId: id,
    supplierId: `supplier-${id}`,
    pool: 'GPU',
    model: 'H100',
    unitCount: 8,
    deviceHours: 1,
    uptimeHours: 6,
    stakedBaseUnits: minimumStakeBaseUnits('H100', 8, parameters),
    walletAddress: `wallet-${id}`,
    connectivityTier: 'HIGH',
    coStaker: null,
    ...overrides,
  };
}

const closed: EpochEvent = { type: 'EpochClosed', epoch: 7, epochStart: start, epochEnd: end, eligibleGpuDeviceHours: 1, eligibleCpuDeviceHours: 0, at };

describe('epoch decider', () => {
  it('closes an open epoch with the eligible device-hours per pool', () => {
    spec
      .given([])
      .when({ type: 'CloseEpoch', epoch: 7, epochStart: start, epochEnd: end, devices: [device('a'), device('b', { uptimeHours: 4 }), device('c', { pool: 'CPU', model: 'cpu', unitCount: 1, stakedBaseUnits: 0n })], parameters, at })
      .then([closed]);
  });

  it('closes an epoch once: a second close decides nothing', () => {
    spec.given([closed]).when({ type: 'CloseEpoch', epoch: 7, epochStart: start, epochEnd: end, devices: [], parameters, at }).then([]);
  });

  it('refuses to allocate an epoch that is not closed', () => {
    spec.given([]).when({ type: 'AllocateEpoch', epoch: 7, emissionBaseUnits: emissionForEpoch(7), devices: [], parameters, at }).thenRefused('EPOCH.NOT_CLOSED');
  });

  it('allocates the minted emission: the GPU pool to the eligible device and its co-staker, the CPU pool with no device to the reserve', () => {
    const emission = emissionForEpoch(7);
    const events = decideEpoch(
      { type: 'AllocateEpoch', epoch: 7, emissionBaseUnits: emission, devices: [device('a', { coStaker: { wallet: 'co-wallet', shareBps: 2_000 } }), device('b', { walletAddress: null })], parameters, at },
      evolveEpoch(initialEpochState, closed),
    );
    expect(events.map((e) => e.type)).toEqual(['RewardsAllocated', 'RewardsAllocated']);
    const [gpu, cpu] = events as Extract<EpochEvent, { type: 'RewardsAllocated' }>[];
    const gpuPool = (emission * 9_500n) / 10_000n;
    expect(gpu!.pool).toBe('GPU');
    expect(gpu!.poolTotalBaseUnits).toBe(gpuPool);
    expect(gpu!.remainderBaseUnits).toBe(0n);
    const coStaker = (gpuPool * 2_000n) / 10_000n;
    expect(gpu!.allocations).toEqual([
      { deviceId: 'a', supplierId: 'supplier-a', recipientWallet: 'wallet-a', recipientKind: 'supplier', amountBaseUnits: gpuPool - coStaker, deviceHours: 1, multiplierBps: 100_000 },
      { deviceId: 'a', supplierId: 'supplier-a', recipientWallet: 'co-wallet', recipientKind: 'co_staker', amountBaseUnits: coStaker, deviceHours: 1, multiplierBps: 100_000 },
    ]);
    expect(cpu!.pool).toBe('CPU');
    expect(cpu!.allocations).toEqual([]);
    expect(cpu!.remainderBaseUnits).toBe(emission - gpuPool);
    expect(cpu!.remainderAccount).toBe('token:emission-reserve');
    // Every base unit of the emission is accounted for.
    expect(gpu!.poolTotalBaseUnits + cpu!.poolTotalBaseUnits).toBe(emission);
  });

  it('an hour without an eligible device carries the whole emission to the reserve', () => {
    const emission = emissionForEpoch(7);
    const events = decideEpoch({ type: 'AllocateEpoch', epoch: 7, emissionBaseUnits: emission, devices: [device('a', { stakedBaseUnits: 0n })], parameters, at }, evolveEpoch(initialEpochState, closed));
    const allocated = events as Extract<EpochEvent, { type: 'RewardsAllocated' }>[];
    expect(allocated.flatMap((e) => e.allocations)).toEqual([]);
    expect(allocated.reduce((s, e) => s + e.remainderBaseUnits, 0n)).toBe(emission);
  });

  it('allocates once: after the pools are allocated a second mint delivery decides nothing', () => {
    const state = [closed, ...decideEpoch({ type: 'AllocateEpoch', epoch: 7, emissionBaseUnits: 100n, devices: [], parameters, at }, evolveEpoch(initialEpochState, closed))];
    spec.given(state).when({ type: 'AllocateEpoch', epoch: 7, emissionBaseUnits: 100n, devices: [device('a')], parameters, at }).then([]);
  });
});
