import type { ConnectivityTier, DeviceEpochRecord, IneligibilityReason, TokenomicsParameters } from '@ionet/tokenomics';
import { ineligibilityReasons } from '@ionet/tokenomics';
import { ELIGIBILITY_TABLES } from './projections/eligibility.projection';

/** Reasons of our own beside the allocation's (ADR 0610): the hour did not count at all. */
export type EpochIneligibility = IneligibilityReason | 'NOT_QUALIFIED' | 'DISQUALIFIED' | 'NOT_UP_ALL_HOUR' | 'DEVICE_BLOCKED';

export interface DeviceRow {
  device_id: string;
  supplier_id: string;
  device_class: string;
  gpu_model: string | null;
  gpu_count: number;
  connectivity_tier: string;
  wallet: string | null;
  status: string;
  qualified_at: Date | null;
  disqualified_at: Date | null;
  up_from: Date | null;
  counted_base_units: string | null;
  co_staker_wallet: string | null;
  co_staker_share_bps: number | null;
  co_staker_earns: boolean | null;
}

/** Every device registered before the epoch's end, with what its eligibility needs (one statement). */
export const DEVICE_ROWS_SQL = `
  select d.device_id, d.supplier_id, d.device_class, d.gpu_model, d.gpu_count, d.connectivity_tier,
         coalesce(nullif(d.payout_wallet, ''), nullif(s.payout_wallet, '')) as wallet, d.status,
         p.qualified_at, p.disqualified_at,
         (select max(u.up_from) from ${ELIGIBILITY_TABLES.uptime} u where u.device_id = d.device_id and u.up_from <= $1 and (u.up_to is null or u.up_to >= $1)) as up_from,
         st.counted_base_units, st.co_staker_wallet, st.co_staker_share_bps, st.co_staker_earns
    from ${ELIGIBILITY_TABLES.devices} d
    left join ${ELIGIBILITY_TABLES.suppliers} s on s.supplier_id = d.supplier_id
    left join ${ELIGIBILITY_TABLES.proofs} p on p.device_id = d.device_id
    left join device_stakes st on st.device_id = d.device_id
   where d.registered_at < $1
   order by d.device_id`;

const TIERS: Record<string, ConnectivityTier> = { ultra_high: 'ULTRA_HIGH', high: 'HIGH', medium: 'MEDIUM', low: 'LOW' };
const NOT_EARNING_STATUSES = new Set(['blocked', 'paused']);
const HOUR_MS = 3_600_000;

/**
 * One device's record for the epoch [start, end): a device-hour counts when the device was
 * qualified (proof of work passed) before the end, not disqualified, not blocked or paused, and up
 * for the whole hour; uptime is the continuous interval reaching the end.
 */
export function deviceEpochRecord(row: DeviceRow, epochStart: Date, epochEnd: Date): { record: DeviceEpochRecord; extra: EpochIneligibility[] } {
  const extra: EpochIneligibility[] = [];
  if (!row.qualified_at || row.qualified_at.getTime() > epochEnd.getTime()) extra.push('NOT_QUALIFIED');
  if (row.disqualified_at && row.disqualified_at.getTime() <= epochEnd.getTime()) extra.push('DISQUALIFIED');
  if (NOT_EARNING_STATUSES.has(row.status)) extra.push('DEVICE_BLOCKED');
  if (!row.up_from || row.up_from.getTime() > epochStart.getTime()) extra.push('NOT_UP_ALL_HOUR');
  const cpu = row.device_class === 'cpu';
  const record: DeviceEpochRecord = {
    deviceId: row.device_id,
    supplierId: row.supplier_id,
    pool: cpu ? 'CPU' : 'GPU',
    model: cpu ? 'cpu' : (row.gpu_model ?? ''),
    unitCount: cpu ? 1 : Math.max(1, row.gpu_count),
    deviceHours: extra.length === 0 ? 1 : 0,
    uptimeHours: row.up_from ? Math.max(0, epochEnd.getTime() - row.up_from.getTime()) / HOUR_MS : 0,
    stakedBaseUnits: BigInt(row.counted_base_units ?? '0'),
    walletAddress: row.wallet,
    connectivityTier: TIERS[row.connectivity_tier] ?? null,
    coStaker: row.co_staker_earns && row.co_staker_wallet && row.co_staker_share_bps !== null ? { wallet: row.co_staker_wallet, shareBps: row.co_staker_share_bps } : null,
  };
  return { record, extra };
}

/** All of a device's reasons for the epoch: ours first, then the allocation's (without the
 *  NO_DEVICE_HOURS that ours imply). */
export function epochReasons(record: DeviceEpochRecord, extra: readonly EpochIneligibility[], parameters: TokenomicsParameters): EpochIneligibility[] {
  const rules = ineligibilityReasons(record, parameters).filter((r) => !(extra.length > 0 && r === 'NO_DEVICE_HOURS'));
  return [...extra, ...rules];
}
