import { DEFAULT_TOKENOMICS_PARAMETERS as P } from '../parameters/tokenomics-parameters';
import { allocateEpochRewards, DeviceEpochRecord, EpochRewardAllocation } from './reward-allocation';

const IO = 100_000_000n;

function device(overrides: Partial<DeviceEpochRecord> & { deviceId: string }): DeviceEpochRecord {
  return {
    supplierId: `s-${overrides.deviceId}`,
    pool: 'GPU',
    model: 'RTX 3090',
    unitCount: 1,
    deviceHours: 1,
    uptimeHours: 24,
    stakedBaseUnits: 1_000_000n * IO,
    walletAddress: `w-${overrides.deviceId}`,
    connectivityTier: 'HIGH',
    coStaker: null,
    ...overrides,
  };
}

const total = (a: EpochRewardAllocation) => a.payouts.reduce((s, p) => s + p.amountBaseUnits, 0n) + a.reserveBaseUnits;
const byDevice = (a: EpochRewardAllocation, deviceId: string) =>
  a.payouts.filter((p) => p.deviceId === deviceId).reduce((s, p) => s + p.amountBaseUnits, 0n);

describe('allocateEpochRewards', () => {
  const emission = 456_621_004_567n;

  it('splits 95/5 between pools, then by device-hours * GPUs * multiplier, to the base unit', () => {
    const devices = [
      device({ deviceId: 'h100x8', model: 'H100', unitCount: 8 }),
      device({ deviceId: 'rtx4090', model: 'RTX 4090' }),
      device({ deviceId: 'a100', model: 'A100-80GB', deviceHours: 2 }),
      device({ deviceId: 'cpu1', pool: 'CPU', model: 'EPYC 7763' }),
      device({ deviceId: 'cpu2', pool: 'CPU', model: 'Xeon 8380' }),
    ];
    const a = allocateEpochRewards({ epoch: 1, emissionBaseUnits: emission, devices, parameters: P });
    expect(total(a)).toBe(emission);
    expect(a.reserveBaseUnits).toBe(0n);
    const gpuPool = (emission * 95n) / 100n;
    expect(a.pools.GPU.poolBaseUnits).toBe(gpuPool);
    expect(a.pools.CPU.poolBaseUnits).toBe(emission - gpuPool);
    // Independent weights: 8 * 10, 1.25, 2 hours * 5, in hundredths.
    const weights: Record<string, bigint> = { h100x8: 8_000n, rtx4090: 125n, a100: 1_000n };
    const weightSum = 9_125n;
    for (const [id, w] of Object.entries(weights)) {
      const exactFloor = (gpuPool * w) / weightSum;
      expect(byDevice(a, id) - exactFloor).toBeGreaterThanOrEqual(0n);
      expect(byDevice(a, id) - exactFloor).toBeLessThanOrEqual(1n);
    }
    expect(byDevice(a, 'cpu1') + byDevice(a, 'cpu2')).toBe(emission - gpuPool);
    expect(byDevice(a, 'cpu1') - byDevice(a, 'cpu2')).toBeLessThanOrEqual(1n);
  });

  it('pays the co-staker its agreed share (floored) and the supplier the rest', () => {
    const a = allocateEpochRewards({
      epoch: 1,
      emissionBaseUnits: 1_000_003n,
      devices: [device({ deviceId: 'd', coStaker: { wallet: 'co', shareBps: 3_333 } })],
      parameters: { ...P, gpuPoolShareBps: 10_000 },
    });
    const co = a.payouts.find((p) => p.recipient.kind === 'co-staker')!;
    const supplier = a.payouts.find((p) => p.recipient.kind === 'supplier')!;
    expect(co.amountBaseUnits).toBe((1_000_003n * 3_333n) / 10_000n);
    expect(supplier.amountBaseUnits).toBe(1_000_003n - co.amountBaseUnits);
    expect(supplier.recipient).toEqual({ kind: 'supplier', supplierId: 's-d' });
  });

  it('does not depend on the order of the devices', () => {
    const devices = ['d3', 'd1', 'd2', 'd0'].map((deviceId) => device({ deviceId }));
    const one = allocateEpochRewards({ epoch: 9, emissionBaseUnits: 10n, devices, parameters: P });
    const two = allocateEpochRewards({ epoch: 9, emissionBaseUnits: 10n, devices: [...devices].reverse(), parameters: P });
    expect(two).toEqual(one);
    // 9 GPU base units over four equal devices: the spare one goes to the lowest id.
    expect(byDevice(one, 'd0')).toBe(3n);
    expect(byDevice(one, 'd3')).toBe(2n);
  });

  it('reports every reason a device is not eligible', () => {
    const a = allocateEpochRewards({
      epoch: 1,
      emissionBaseUnits: 100n,
      devices: [
        device({ deviceId: 'fresh', uptimeHours: 4.99 }),
        device({ deviceId: 'bad', model: 'H100', unitCount: 8, stakedBaseUnits: 15_999n * IO, walletAddress: null, connectivityTier: null }),
        device({ deviceId: 'old', model: 'GTX 1080' }),
        device({ deviceId: 'ok', model: 'H100', unitCount: 8, stakedBaseUnits: 16_000n * IO, uptimeHours: 5 }),
      ],
      parameters: P,
    });
    expect(a.ineligible).toEqual([
      { deviceId: 'bad', reasons: ['STAKE_BELOW_MINIMUM', 'NO_WALLET', 'UNKNOWN_CONNECTIVITY'] },
      { deviceId: 'fresh', reasons: ['UPTIME_BELOW_MINIMUM'] },
      { deviceId: 'old', reasons: ['ZERO_MULTIPLIER'] },
    ]);
    expect(byDevice(a, 'ok')).toBe(95n);
  });

  it('carries an empty pool, or the whole emission, to the reserve', () => {
    const gpuOnly = allocateEpochRewards({ epoch: 1, emissionBaseUnits: 1_001n, devices: [device({ deviceId: 'g' })], parameters: P });
    expect(gpuOnly.reserveBaseUnits).toBe(1_001n - (1_001n * 95n) / 100n);
    expect(total(gpuOnly)).toBe(1_001n);
    const none = allocateEpochRewards({ epoch: 1, emissionBaseUnits: 1_001n, devices: [device({ deviceId: 'g', uptimeHours: 0 })], parameters: P });
    expect(none.reserveBaseUnits).toBe(1_001n);
    expect(none.payouts).toEqual([]);
  });

  it('given a GPU share above 100%, when an epoch is allocated, then it is refused rather than giving the CPU pool a negative amount', () => {
    const run = (gpuPoolShareBps: number) =>
      allocateEpochRewards({ epoch: 1, emissionBaseUnits: 1_000n, devices: [device({ deviceId: 'g' })], parameters: { ...P, gpuPoolShareBps } });
    expect(() => run(10_001)).toThrow('REWARDS.INVALID_INPUT');
    expect(() => run(-1)).toThrow('REWARDS.INVALID_INPUT');
    expect(run(10_000).reserveBaseUnits).toBe(0n);
  });

  it('refuses malformed input with a stable code', () => {
    expect(() => allocateEpochRewards({ epoch: 1, emissionBaseUnits: 1n, devices: [device({ deviceId: 'x' }), device({ deviceId: 'x' })], parameters: P })).toThrow(
      'REWARDS.INVALID_INPUT',
    );
    expect(() => allocateEpochRewards({ epoch: 1, emissionBaseUnits: 1n, devices: [device({ deviceId: 'x', unitCount: 0 })], parameters: P })).toThrow('REWARDS.INVALID_INPUT');
  });
});

describe('allocateEpochRewards (issue 16 defects)', () => {
  const codeOf = (run: () => unknown) => {
    try {
      run();
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code ?? (error as Error).name;
    }
  };

  it('given the canonical and reported names of an H100, when rewards are allocated, then each weighs ten times a 1x model', () => {
    const names = ['H100-80GB', 'NVIDIA H100 80GB HBM3', 'H100 SXM'];
    const devices = [...names.map((model, i) => device({ deviceId: `h${i}`, model })), device({ deviceId: 'one-x', model: 'RTX 3090' })];
    const a = allocateEpochRewards({ epoch: 1, emissionBaseUnits: 31_000n, devices, parameters: { ...P, gpuPoolShareBps: 10_000 } });
    for (let i = 0; i < names.length; i += 1) expect([names[i], byDevice(a, `h${i}`)]).toEqual([names[i], 10_000n]);
    expect(byDevice(a, 'one-x')).toBe(1_000n);
  });

  it('given a GPU model outside the catalogue, when rewards are allocated, then that device is ineligible for that reason and the others are paid', () => {
    const a = allocateEpochRewards({
      epoch: 1,
      emissionBaseUnits: 100n,
      devices: [device({ deviceId: 'mystery', model: 'Quantum QPU 9000' }), device({ deviceId: 'ok' })],
      parameters: { ...P, gpuPoolShareBps: 10_000 },
    });
    expect(a.ineligible).toEqual([{ deviceId: 'mystery', reasons: ['UNKNOWN_MODEL'] }]);
    expect(byDevice(a, 'ok')).toBe(100n);
    const configured = allocateEpochRewards({
      epoch: 1,
      emissionBaseUnits: 100n,
      devices: [device({ deviceId: 'mystery', model: 'Quantum QPU 9000' }), device({ deviceId: 'ok' })],
      parameters: { ...P, gpuPoolShareBps: 10_000, unknownGpuModelMultiplierBps: 30_000 },
    });
    expect(byDevice(configured, 'mystery')).toBe(75n);
  });

  it('given CPU devices of any CPU model, when rewards are allocated, then they share the CPU pool at the CPU multiplier', () => {
    const a = allocateEpochRewards({
      epoch: 1,
      emissionBaseUnits: 1_000n,
      devices: [device({ deviceId: 'cpu1', pool: 'CPU', model: 'EPYC 7763' }), device({ deviceId: 'cpu2', pool: 'CPU', model: 'Some Future CPU' })],
      parameters: P,
    });
    expect(byDevice(a, 'cpu1') + byDevice(a, 'cpu2')).toBe(50n);
    expect(byDevice(a, 'cpu1')).toBe(25n);
  });

  it('given an unknown pool or a non-integer multiplier, when rewards are allocated, then a typed error names it', () => {
    const run = (overrides: Partial<DeviceEpochRecord>, parameters = P) =>
      codeOf(() => allocateEpochRewards({ epoch: 1, emissionBaseUnits: 10n, devices: [device({ deviceId: 'x', ...overrides })], parameters }));
    expect(run({ pool: 'GPX' as DeviceEpochRecord['pool'] })).toBe('REWARDS.UNKNOWN_POOL');
    expect(run({ pool: 'constructor' as DeviceEpochRecord['pool'] })).toBe('REWARDS.UNKNOWN_POOL');
    expect(run({ model: 'RTX 4090' }, { ...P, deviceMultipliersBps: { ...P.deviceMultipliersBps, 'RTX-4090': 12_500.5 } })).toBe('PARAMS.INVALID');
    expect(run({ model: 'RTX 4090' }, { ...P, deviceMultipliersBps: { ...P.deviceMultipliersBps, 'RTX-4090': Number.NaN } })).toBe('PARAMS.INVALID');
  });
});
