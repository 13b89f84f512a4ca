import { Inject, Injectable } from '@nestjs/common';
import { decodeCursor, PG_POOL, toPage, type Page } from '@ionet/platform';
import type { Pool } from 'pg';
import { TokenomicsServiceError } from '../domain/shared/tokenomics-service.errors';
import { ELIGIBILITY_TABLES } from './projections/eligibility.projection';

const io = (baseUnits: string | null) => (baseUnits === null ? null : { amountBaseUnits: baseUnits, asset: 'IO' as const });
const iso = (at: Date | null) => (at === null ? null : at.toISOString());

export interface EpochView {
  epoch: number;
  epochStart: string;
  epochEnd: string;
  status: 'closed' | 'minted' | 'allocated';
  closedAt: string;
  eligibleDeviceHours: { gpu: number; cpu: number };
  emission: { amountBaseUnits: string; asset: 'IO' } | null;
  mint: { transactionSignature: string | null; mintedAt: string | null };
  pools: { gpu: { amountBaseUnits: string; asset: 'IO' } | null; cpu: { amountBaseUnits: string; asset: 'IO' } | null };
  reserve: { amountBaseUnits: string; asset: 'IO' } | null;
  allocatedAt: string | null;
  allocations: Array<{ deviceId: string; supplierId: string; recipientKind: string; recipientWallet: string; pool: string; amount: { amountBaseUnits: string; asset: 'IO' }; deviceHours: number; multiplierBps: number }>;
  heartbeatRoot: { merkleRoot: string; leafCount: number; transactionSignature: string | null } | null;
}

export interface RewardView {
  epoch: number;
  deviceId: string;
  supplierId: string;
  recipientKind: string;
  recipientWallet: string;
  pool: string;
  amount: { amountBaseUnits: string; asset: 'IO' };
  deviceHours: number;
  multiplierBps: number;
  allocatedAt: string;
}

interface RewardRow {
  device_id: string;
  supplier_id: string;
  recipient_kind: string;
  recipient_wallet: string;
  pool: string;
  amount_base_units: string;
  device_hours: string;
  multiplier_bps: number;
}

function rewardView(r: RewardRow) {
  return {
    deviceId: r.device_id,
    supplierId: r.supplier_id,
    recipientKind: r.recipient_kind,
    recipientWallet: r.recipient_wallet,
    pool: r.pool,
    amount: { amountBaseUnits: r.amount_base_units, asset: 'IO' as const },
    deviceHours: Number(r.device_hours),
    multiplierBps: r.multiplier_bps,
  };
}

/** Reads of epochs and rewards (GET /v1/epochs/{epoch}, GET /v1/rewards). */
@Injectable()
export class EpochQueries {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async epoch(epoch: number): Promise<EpochView> {
    const { rows } = await this.pool.query<{
      epoch: string; epoch_start: Date; epoch_end: Date; closed_at: Date; eligible_gpu_device_hours: string; eligible_cpu_device_hours: string;
      emission_base_units: string | null; mint_transaction: string | null; minted_at: Date | null; gpu_pool_base_units: string | null; cpu_pool_base_units: string | null;
      reserve_base_units: string | null; allocated_at: Date | null; merkle_root: string | null; leaf_count: string | null; transaction_signature: string | null;
    }>(`select e.*, r.merkle_root, r.leaf_count, r.transaction_signature from epochs e left join ${ELIGIBILITY_TABLES.roots} r on r.epoch = e.epoch where e.epoch = $1`, [epoch]);
    const row = rows[0];
    if (!row) throw new TokenomicsServiceError('EPOCH.NOT_FOUND', `epoch ${epoch} is not closed (or not one this deployment closes)`);
    const allocations = await this.pool.query<RewardRow>(
      `select device_id, supplier_id, recipient_kind, recipient_wallet, pool, amount_base_units, device_hours, multiplier_bps from rewards where epoch = $1 order by device_id, recipient_kind desc`,
      [epoch],
    );
    return {
      epoch: Number(row.epoch),
      epochStart: row.epoch_start.toISOString(),
      epochEnd: row.epoch_end.toISOString(),
      status: row.allocated_at ? 'allocated' : row.minted_at ? 'minted' : 'closed',
      closedAt: row.closed_at.toISOString(),
      eligibleDeviceHours: { gpu: Number(row.eligible_gpu_device_hours), cpu: Number(row.eligible_cpu_device_hours) },
      emission: io(row.emission_base_units),
      mint: { transactionSignature: row.mint_transaction, mintedAt: iso(row.minted_at) },
      pools: { gpu: io(row.gpu_pool_base_units), cpu: io(row.cpu_pool_base_units) },
      reserve: io(row.reserve_base_units),
      allocatedAt: iso(row.allocated_at),
      allocations: allocations.rows.map(rewardView),
      heartbeatRoot: row.merkle_root === null ? null : { merkleRoot: row.merkle_root, leafCount: Number(row.leaf_count ?? 0), transactionSignature: row.transaction_signature || null },
    };
  }

  /** A wallet's rewards, newest epoch first (cursor pages). */
  async rewards(wallet: string, limit: number, cursor?: string): Promise<Page<RewardView>> {
    const params: unknown[] = [wallet];
    let after = '';
    if (cursor) {
      const c = decodeCursor(cursor, { epoch: 'integer', deviceKey: 'string', kind: 'string' });
      params.push(c.epoch, c.deviceKey, c.kind);
      after = `and (epoch < $2 or (epoch = $2 and (device_id, recipient_kind) > ($3, $4)))`;
    }
    params.push(limit + 1);
    const { rows } = await this.pool.query<RewardRow & { epoch: string; allocated_at: Date }>(
      `select * from rewards where recipient_wallet = $1 ${after} order by epoch desc, device_id, recipient_kind limit $${params.length}`,
      params,
    );
    const items = rows.map((r) => ({ epoch: Number(r.epoch), ...rewardView(r), allocatedAt: r.allocated_at.toISOString() }));
    return toPage(items, limit, (i) => ({ epoch: i.epoch, deviceKey: i.deviceId, kind: i.recipientKind }));
  }
}
