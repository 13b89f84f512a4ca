import { TokenomicsError } from '../tokenomics.errors';
import { ParameterSchedule } from './parameter-schedule';
import { DEFAULT_TOKENOMICS_PARAMETERS, minimumStakeBaseUnits, multiplierBpsFor, normalizeGpuModel } from './tokenomics-parameters';

const IO = 100_000_000n;
const codeOf = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as TokenomicsError).code;
  }
};

describe('tokenomics parameters', () => {
  it('hold the DOMAIN defaults', () => {
    const p = DEFAULT_TOKENOMICS_PARAMETERS;
    expect(p.gpuPoolShareBps).toBe(9_500);
    expect(p.reservationFeeBps).toBe(25);
    expect(p.paymentFeeBps).toEqual({ USDC: 200, IO: 0, CREDIT: 200 });
    expect(p.unstakeCooldownMs).toBe(14 * 24 * 3_600_000);
    expect(p.coStakeExitWaitMs).toBe(7 * 24 * 3_600_000);
    expect(p.minimumUptimeHours).toBe(5);
  });

  it('give exact multipliers by normalized model name, 1x for unknown models and 0 for obsolete ones', () => {
    const p = DEFAULT_TOKENOMICS_PARAMETERS;
    expect(normalizeGpuModel('NVIDIA GeForce RTX 4090')).toBe('RTX-4090');
    expect(multiplierBpsFor('H100', p)).toBe(100_000);
    expect(multiplierBpsFor('a100 80gb', p)).toBe(50_000);
    expect(multiplierBpsFor('L40S', p)).toBe(30_000);
    expect(multiplierBpsFor('rtx_4090', p)).toBe(12_500);
    expect(multiplierBpsFor('GTX 1080', p)).toBe(0);
    expect(multiplierBpsFor('RTX 3090', p)).toBe(10_000);
  });

  it('compute the minimum stake as 200 IO * max(1, multiplier) * GPUs', () => {
    const p = DEFAULT_TOKENOMICS_PARAMETERS;
    expect(minimumStakeBaseUnits('H100', 8, p)).toBe(16_000n * IO);
    expect(minimumStakeBaseUnits('RTX 4090', 2, p)).toBe(500n * IO);
    expect(minimumStakeBaseUnits('RTX 4070', 4, p)).toBe(800n * IO);
    expect(minimumStakeBaseUnits('GTX 1060', 1, p)).toBe(200n * IO);
  });
});

describe('ParameterSchedule', () => {
  const t0 = 1_000_000;

  it('changes parameters from the effective time on, leaving earlier times as they were', () => {
    const before = ParameterSchedule.of();
    const after = before.apply({ changeId: 'p1', decidedAtMs: t0, effectiveFromMs: t0 + 10, changes: { reservationFeeBps: 50 } });
    expect(after.at(t0 + 9).reservationFeeBps).toBe(25);
    expect(after.at(t0 + 10).reservationFeeBps).toBe(50);
    expect(before.at(t0 + 10).reservationFeeBps).toBe(25);
  });

  it('folds changes in effective order, whatever order they were applied in', () => {
    const schedule = ParameterSchedule.of()
      .apply({ changeId: 'late', decidedAtMs: t0, effectiveFromMs: t0 + 200, changes: { buybackShareBps: 7_000 } })
      .apply({ changeId: 'early', decidedAtMs: t0, effectiveFromMs: t0 + 100, changes: { buybackShareBps: 6_000, gpuPoolShareBps: 9_000 } });
    expect(schedule.at(t0 + 150)).toMatchObject({ buybackShareBps: 6_000, gpuPoolShareBps: 9_000 });
    expect(schedule.at(t0 + 250)).toMatchObject({ buybackShareBps: 7_000, gpuPoolShareBps: 9_000 });
  });

  it('is idempotent by change id and refuses retroactive, conflicting or invalid changes', () => {
    const change = { changeId: 'c', decidedAtMs: t0, effectiveFromMs: t0, changes: { reservationFeeBps: 30 } };
    const once = ParameterSchedule.of().apply(change);
    expect(once.apply({ ...change })).toBe(once);
    expect(codeOf(() => once.apply({ ...change, changes: { reservationFeeBps: 31 } }))).toBe('PARAMS.CHANGE_ID_CONFLICT');
    expect(codeOf(() => once.apply({ changeId: 'r', decidedAtMs: t0, effectiveFromMs: t0 - 1, changes: {} }))).toBe('PARAMS.RETROACTIVE');
    expect(codeOf(() => once.apply({ changeId: 'i', decidedAtMs: t0, effectiveFromMs: t0, changes: { gpuPoolShareBps: 10_001 } }))).toBe('PARAMS.INVALID');
    expect(codeOf(() => once.apply({ changeId: 'f', decidedAtMs: t0, effectiveFromMs: t0, changes: { reservationFeeBps: 2.5 } }))).toBe('PARAMS.INVALID');
  });
});

describe('device multipliers and the parameter schedule (issue 16 defects)', () => {
  const P = DEFAULT_TOKENOMICS_PARAMETERS;
  const t0 = 1_000_000;

  it('given the model names the proto and the agents use, when the multiplier is looked up, then each gets its published multiplier instead of 1', () => {
    for (const name of ['H100-80GB', 'NVIDIA H100 80GB HBM3', 'H100 SXM', 'H100 PCIe', 'nvidia h100 80gb hbm3']) expect([name, multiplierBpsFor(name, P)]).toEqual([name, 100_000]);
    expect(minimumStakeBaseUnits('NVIDIA H100 80GB HBM3', 8, P)).toBe(16_000n * IO);
    expect(minimumStakeBaseUnits('H100-80GB', 8, P)).toBe(16_000n * IO);
    expect(multiplierBpsFor('NVIDIA A100-SXM4-80GB', P)).toBe(50_000);
    expect(multiplierBpsFor('NVIDIA L40S', P)).toBe(30_000);
    expect(multiplierBpsFor('NVIDIA GeForce RTX 4090', P)).toBe(12_500);
  });

  it('given a model outside the catalogue, when its multiplier is needed, then it is refused unless governance configured one for unknown models', () => {
    expect(codeOf(() => multiplierBpsFor('Quantum QPU 9000', P))).toBe('GPU.UNKNOWN_MODEL');
    expect(codeOf(() => minimumStakeBaseUnits('Quantum QPU 9000', 1, P))).toBe('GPU.UNKNOWN_MODEL');
    expect(codeOf(() => multiplierBpsFor('constructor', P))).toBe('GPU.UNKNOWN_MODEL');
    expect(multiplierBpsFor('Quantum QPU 9000', { ...P, unknownGpuModelMultiplierBps: 5_000 })).toBe(5_000);
  });

  it('given an applied change, when the same change comes again with its properties in another order, then it is a no-op', () => {
    const change = { changeId: 'c', decidedAtMs: t0, effectiveFromMs: t0, changes: { reservationFeeBps: 30, buybackShareBps: 6_000 } };
    const once = ParameterSchedule.of().apply(change);
    const reordered = { changes: { buybackShareBps: 6_000, reservationFeeBps: 30 }, effectiveFromMs: t0, changeId: 'c', decidedAtMs: t0 };
    expect(once.apply(reordered)).toBe(once);
  });

  it('given a time that is not an integer millisecond, when the schedule is read or changed, then it is refused with a typed error', () => {
    const schedule = ParameterSchedule.of().apply({ changeId: 'c', decidedAtMs: t0, effectiveFromMs: t0 + 10, changes: { reservationFeeBps: 50 } });
    expect(codeOf(() => schedule.at(Number.NaN))).toBe('PARAMS.INVALID_TIME');
    expect(codeOf(() => schedule.at(Infinity))).toBe('PARAMS.INVALID_TIME');
    expect(codeOf(() => schedule.apply({ changeId: 'f', decidedAtMs: t0, effectiveFromMs: t0 + 0.5, changes: {} }))).toBe('PARAMS.INVALID_TIME');
    expect(codeOf(() => schedule.apply({ changeId: 'g', decidedAtMs: Number.NaN, effectiveFromMs: t0, changes: {} }))).toBe('PARAMS.INVALID_TIME');
  });

  it('given an applied change, when the caller later edits the object it passed or the list it read, then the schedule is unchanged', () => {
    const change = { changeId: 'c', decidedAtMs: t0, effectiveFromMs: t0, changes: { paymentFeeBps: { USDC: 100, IO: 0, CREDIT: 100 } } };
    const schedule = ParameterSchedule.of().apply(change);
    (change.changes.paymentFeeBps as { USDC: number }).USDC = 9_999;
    try {
      (schedule.changes() as unknown[]).push({});
    } catch {
      // A frozen list refuses the change: as good as a copy.
    }
    expect(schedule.at(t0).paymentFeeBps.USDC).toBe(100);
    expect(schedule.changes()).toHaveLength(1);
  });

  it('given prototype names as parameter names, when a change is applied, then it is refused as unknown parameters', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const changes = JSON.parse(`{"${name}": 1}`) as Record<string, number>;
      expect([name, codeOf(() => ParameterSchedule.of().apply({ changeId: name, decidedAtMs: t0, effectiveFromMs: t0, changes }))]).toEqual([name, 'PARAMS.INVALID']);
    }
  });
});
