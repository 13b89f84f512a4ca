import { DEFAULT_TOKENOMICS_PARAMETERS, ParameterSchedule } from '@ionet/tokenomics';
import { ParameterHistory, toScheduleChange } from './parameter-history';
import { parameterDefinition, PARAMETER_REGISTRY, tokenomicsPatch, validateParameterValue } from './parameter-registry';

const t = (iso: string) => new Date(iso);
const fee30 = { key: 'billing.fees.reservation_basis_points', newValue: { kind: 'basis_points', value: 30 } as const, proposalId: 'p-1', effectiveAt: t('2026-12-04T00:00:00Z') };
const fee35 = { key: 'billing.fees.reservation_basis_points', newValue: { kind: 'basis_points', value: 35 } as const, proposalId: 'p-2', effectiveAt: t('2026-12-09T00:00:00Z') };

describe('the parameter registry', () => {
  it('holds every governed number of the issue with its default from @ionet/tokenomics', () => {
    expect(parameterDefinition('billing.fees.reservation_basis_points').defaultValue).toEqual({ kind: 'basis_points', value: DEFAULT_TOKENOMICS_PARAMETERS.reservationFeeBps });
    expect(parameterDefinition('matching.quotes.hold_ms').defaultValue).toEqual({ kind: 'integer', value: BigInt(DEFAULT_TOKENOMICS_PARAMETERS.quoteHoldMs) });
    expect(parameterDefinition('tokenomics.multipliers.gpu.H100-80GB').owner).toBe('tokenomics');
    for (const key of ['tokenomics.emission.gpu_pool_share_basis_points', 'tokenomics.staking.minimum_stake_per_gpu', 'billing.payouts.period_hours', 'tokenomics.buyback.share_basis_points', 'governance.quorum_basis_points', 'governance.approval_threshold_basis_points']) {
      expect(PARAMETER_REGISTRY.has(key)).toBe(true);
    }
  });

  it('accepts each default as a valid value of its own parameter', () => {
    for (const def of PARAMETER_REGISTRY.values()) expect(() => validateParameterValue(def.key, def.defaultValue)).not.toThrow();
  });

  it('turns governed values into @ionet/tokenomics parameters, completing nested tables', () => {
    const p = DEFAULT_TOKENOMICS_PARAMETERS;
    expect(tokenomicsPatch('billing.fees.payment_basis_points.IO', { kind: 'basis_points', value: 50 }, p)).toEqual({ paymentFeeBps: { ...p.paymentFeeBps, IO: 50 } });
    expect(tokenomicsPatch('tokenomics.multipliers.gpu.RTX-4090', { kind: 'basis_points', value: 12_345 }, p)?.deviceMultipliersBps).toEqual({ ...p.deviceMultipliersBps, 'RTX-4090': 12_345 });
    expect(tokenomicsPatch('tokenomics.staking.minimum_stake_per_gpu', { kind: 'money', amountBaseUnits: 7n, asset: 'IO' }, p)).toEqual({ minimumStakePerGpuBaseUnits: 7n });
    expect(tokenomicsPatch('governance.timelock_ms', { kind: 'integer', value: 0n }, p)).toBeUndefined();
  });
});

describe('the parameter history', () => {
  it('answers the set in force at any moment, with effective-from and the proposal that set it', () => {
    const history = ParameterHistory.empty().apply(fee35).apply(fee30);
    const feeAt = (iso: string) => history.at(Date.parse(iso)).find((p) => p.key === fee30.key);
    expect(feeAt('2026-12-03T23:59:59.999Z')).toEqual({ key: fee30.key, value: { kind: 'basis_points', value: 25 }, effectiveFrom: null, proposalId: null });
    expect(feeAt('2026-12-04T00:00:00Z')).toEqual({ key: fee30.key, value: fee30.newValue, effectiveFrom: fee30.effectiveAt, proposalId: 'p-1' });
    expect(feeAt('2026-12-10T00:00:00Z')?.proposalId).toBe('p-2');
  });

  it('applies the same change twice as once', () => {
    const once = ParameterHistory.empty().apply(fee30);
    expect(once.apply(fee30).at(Date.parse('2027-01-01T00:00:00Z'))).toEqual(once.at(Date.parse('2027-01-01T00:00:00Z')));
  });

  it('gives the owners a schedule change: a quote priced before it keeps the old fee', () => {
    const change = toScheduleChange([fee30, { key: 'governance.timelock_ms', newValue: { kind: 'integer', value: 0n }, proposalId: 'p-1', effectiveAt: fee30.effectiveAt }], DEFAULT_TOKENOMICS_PARAMETERS);
    expect(change).toEqual({ changeId: 'p-1', decidedAtMs: fee30.effectiveAt.getTime(), effectiveFromMs: fee30.effectiveAt.getTime(), changes: { reservationFeeBps: 30 } });
    const schedule = ParameterSchedule.of().apply(change!);
    expect(schedule.at(fee30.effectiveAt.getTime() - 1).reservationFeeBps).toBe(25);
    expect(schedule.at(fee30.effectiveAt.getTime()).reservationFeeBps).toBe(30);
    expect(toScheduleChange([{ key: 'governance.timelock_ms', newValue: { kind: 'integer', value: 0n }, proposalId: 'p-3', effectiveAt: fee30.effectiveAt }], DEFAULT_TOKENOMICS_PARAMETERS)).toBeUndefined();
  });
});
