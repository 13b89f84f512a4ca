import { DEFAULT_TOKENOMICS_PARAMETERS } from '@ionet/tokenomics';
import { deviceEpochRecord, epochReasons, type DeviceRow } from './epoch-records';

const start = new Date('2026-12-01T10:00:00Z');
const end = new Date('2026-12-01T11:00:00Z');
const hoursBefore = (h: number) => new Date(end.getTime() - h * 3_600_000);

function row(overrides: Partial<DeviceRow> = {}): DeviceRow {
  return {
    device_id: 'd1',
    supplier_id: 's1',
    device_class: 'gpu',
    gpu_model: 'H100',
    gpu_count: 8,
    connectivity_tier: 'high',
    wallet: 'wallet-1',
    status: 'cluster_ready',
    qualified_at: hoursBefore(10),
    disqualified_at: null,
    up_from: hoursBefore(6),
    counted_base_units: (16_000n * 100_000_000n).toString(),
    co_staker_wallet: null,
    co_staker_share_bps: null,
    co_staker_earns: null,
    ...overrides,
  };
}

const reasonsOf = (r: DeviceRow) => {
  const { record, extra } = deviceEpochRecord(r, start, end);
  return epochReasons(record, extra, DEFAULT_TOKENOMICS_PARAMETERS);
};

describe('device epoch records', () => {
  it('a qualified device up all hour for 6 h with its minimum stake, wallet and tier is eligible', () => {
    const { record } = deviceEpochRecord(row(), start, end);
    expect(record).toMatchObject({ pool: 'GPU', model: 'H100', unitCount: 8, deviceHours: 1, uptimeHours: 6, connectivityTier: 'HIGH', walletAddress: 'wallet-1' });
    expect(reasonsOf(row())).toEqual([]);
  });

  it('names every rule a device fails', () => {
    expect(reasonsOf(row({ up_from: hoursBefore(3) }))).toEqual(['UPTIME_BELOW_MINIMUM']);
    expect(reasonsOf(row({ counted_base_units: '1' }))).toEqual(['STAKE_BELOW_MINIMUM']);
    expect(reasonsOf(row({ wallet: null }))).toEqual(['NO_WALLET']);
    expect(reasonsOf(row({ connectivity_tier: 'unspecified' }))).toEqual(['UNKNOWN_CONNECTIVITY']);
    expect(reasonsOf(row({ qualified_at: null }))).toEqual(['NOT_QUALIFIED']);
    expect(reasonsOf(row({ disqualified_at: hoursBefore(1) }))).toEqual(['DISQUALIFIED']);
    expect(reasonsOf(row({ status: 'blocked' }))).toEqual(['DEVICE_BLOCKED']);
    expect(reasonsOf(row({ up_from: null }))).toEqual(['NOT_UP_ALL_HOUR', 'UPTIME_BELOW_MINIMUM']);
  });

  it('an earning co-staker comes with its share; one in its exit wait does not', () => {
    expect(deviceEpochRecord(row({ co_staker_wallet: 'co', co_staker_share_bps: 2_500, co_staker_earns: true }), start, end).record.coStaker).toEqual({ wallet: 'co', shareBps: 2_500 });
    expect(deviceEpochRecord(row({ co_staker_wallet: 'co', co_staker_share_bps: 2_500, co_staker_earns: false }), start, end).record.coStaker).toBeNull();
  });

  it('a CPU device is one unit in the CPU pool', () => {
    expect(deviceEpochRecord(row({ device_class: 'cpu', gpu_model: null, gpu_count: 0 }), start, end).record).toMatchObject({ pool: 'CPU', unitCount: 1, model: 'cpu' });
  });
});
