import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@ionet/platform';
import type { Pool } from 'pg';
import { TokenomicsServiceError } from '../domain/shared/tokenomics-service.errors';

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

/** Reads of epochs and rewards (GET /v1/epochs/{epoch}, GET /v1/rewards). */
@Injectable()
export class EpochQueries {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async epoch(epoch: number): Promise<EpochView> {
    const { rows } = await this.pool.query<{
      epoch: string; epoch_start: Date; epoch_end: Date; closed_at: Date; eligible_gpu_device_hours: string; eligible_cpu_device_hours: string;
      emission_base_units: string | null; mint_transaction: string | null; minted_at: Date | null; gpu_pool_base_units: string | null; cpu_pool_base_units: string | null;
      reserve_base_units: string | null; allocated_at: Date | null; heartbeat_merkle_root: string | null; heartbeat_leaf_count: string | null; heartbeat_root_transaction: string | null;
    }>(`select * from epochs where epoch = $1`, [epoch]);
    const row = rows[0];
    if (!row) throw new TokenomicsServiceError('EPOCH.NOT_FOUND', `epoch ${epoch} is not closed (or not one this deployment closes)`);
    const allocations = await this.pool.query<{ device_id: string; supplier_id: string; recipient_kind: string; recipient_wallet: string; pool: string; amount_base_units: string; device_hours: string; multiplier_bps: number }>(
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
      allocations: allocations.rows.map((r) => ({
        deviceId: r.device_id,
        supplierId: r.supplier_id,
        recipientKind: r.recipient_kind,
        recipientWallet: r.recipient_wallet,
        pool: r.pool,
        amount: { amountBaseUnits: r.amount_base_units, asset: 'IO' as const },
        deviceHours: Number(r.device_hours),
        multiplierBps: r.multiplier_bps,
      })),
      heartbeatRoot: row.heartbeat_merkle_root === null ? null : { merkleRoot: row.heartbeat_merkle_root, leafCount: Number(row.heartbeat_leaf_count ?? 0), transactionSignature: row.heartbeat_root_transaction },
    };
  }
}
