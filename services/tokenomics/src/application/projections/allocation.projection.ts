import { CONTRACT_ERROR_CODES, ContractError, tokenomicsV1 } from '@ionet/contracts';
import { causedByEvent, CommandHandlers, defineProjection, on, type ProjectionContext } from '@ionet/eventing';
import { DEFAULT_TOKENOMICS_PARAMETERS, emissionForEpoch, type DeviceEpochRecord, type RewardPool } from '@ionet/tokenomics';
import { ioAmount } from '../../infrastructure/messaging/epoch-event-codec';
import { epochStreamId } from '../epoch-closer';
import { epochAggregate } from '../tokenomics-aggregates';

export const ALLOCATION = 'tokenomics_allocation';

interface SnapshotRow {
  device_id: string;
  supplier_id: string;
  pool: RewardPool;
  model: string;
  unit_count: number;
  device_hours: number;
  uptime_hours: number;
  staked_base_units: string;
  wallet: string | null;
  connectivity_tier: DeviceEpochRecord['connectivityTier'];
  co_staker_wallet: string | null;
  co_staker_share_bps: number | null;
}

/**
 * The process manager of minted emissions (ADR 0610): an epoch's EmissionMinted (the chain
 * executor's, on this service's own topic) allocates the minted amount over the device records the
 * epoch was closed with, as RewardsAllocated per pool. The command's cause is the minted event, so
 * a redelivery or a rebuild appends nothing again; the rows it writes are keyed by epoch.
 */
export function allocationProjection(handlers: CommandHandlers) {
  return defineProjection({
    name: ALLOCATION,
    version: 1,
    consumerGroup: 'tokenomics.allocation',
    contexts: ['tokenomics'],
    appendsEvents: true,
    tables: [],
    handlers: [
      on(tokenomicsV1.EmissionMintedSchema, async (e, metadata, ctx) => {
        const epoch = Number(e.epochNumber);
        const minted = ioAmount(e.amount, 'EmissionMinted.amount');
        // The ledger asks for emissionForEpoch; a mint of anything else is a broken contract.
        if (minted !== emissionForEpoch(epoch)) throw new ContractError(CONTRACT_ERROR_CODES.violation, `epoch ${epoch} minted ${minted}, the schedule says ${emissionForEpoch(epoch)}`);
        await ctx.tx.query(`update epochs set emission_base_units = $2, mint_transaction = $3, minted_at = $4 where epoch = $1 and minted_at is null`, [
          epoch,
          minted.toString(),
          e.chainTransactionSignature,
          e.mintedAt,
        ]);
        await allocate(handlers, ctx, epoch, minted, e.mintedAt ?? metadata.occurredAt, causedByEvent(metadata));
      }),
    ],
  });
}

async function allocate(handlers: CommandHandlers, ctx: ProjectionContext, epoch: number, minted: bigint, at: Date, cause: ReturnType<typeof causedByEvent>): Promise<void> {
  const { rows } = await ctx.tx.query<SnapshotRow>(`select * from epoch_devices where epoch = $1 order by device_id`, [epoch]);
  const devices: DeviceEpochRecord[] = rows.map((r) => ({
    deviceId: r.device_id,
    supplierId: r.supplier_id,
    pool: r.pool,
    model: r.model,
    unitCount: r.unit_count,
    deviceHours: r.device_hours,
    uptimeHours: r.uptime_hours,
    stakedBaseUnits: BigInt(r.staked_base_units),
    walletAddress: r.wallet,
    connectivityTier: r.connectivity_tier,
    coStaker: r.co_staker_wallet && r.co_staker_share_bps !== null ? { wallet: r.co_staker_wallet, shareBps: r.co_staker_share_bps } : null,
  }));
  const result = await handlers.for(epochAggregate).handle(
    epochStreamId(epoch),
    { type: 'AllocateEpoch', epoch, emissionBaseUnits: minted, devices, parameters: DEFAULT_TOKENOMICS_PARAMETERS, at },
    cause,
    { tx: ctx.tx },
  );
  let reserve = 0n;
  const pools: Partial<Record<RewardPool, bigint>> = {};
  let allocatedAt: Date | undefined;
  for (const event of result.events) {
    if (event.type !== 'RewardsAllocated') continue;
    pools[event.pool] = event.poolTotalBaseUnits;
    reserve += event.remainderBaseUnits;
    allocatedAt = event.at;
    if (event.allocations.length === 0) continue;
    await ctx.tx.query(
      `insert into rewards (epoch, device_id, recipient_kind, recipient_wallet, supplier_id, pool, amount_base_units, device_hours, multiplier_bps, allocated_at)
       select $1, r.device_id, r.kind, r.wallet, r.supplier_id, $2, r.amount::numeric, r.hours, r.multiplier, $3
         from jsonb_to_recordset($4::jsonb) as r(device_id text, kind text, wallet text, supplier_id text, amount text, hours bigint, multiplier int)
       on conflict (epoch, device_id, recipient_kind) do nothing`,
      [
        epoch,
        event.pool,
        event.at,
        JSON.stringify(event.allocations.map((a) => ({ device_id: a.deviceId, kind: a.recipientKind, wallet: a.recipientWallet, supplier_id: a.supplierId, amount: a.amountBaseUnits.toString(), hours: a.deviceHours, multiplier: a.multiplierBps }))),
      ],
    );
  }
  if (!allocatedAt) return;
  await ctx.tx.query(
    `update epochs set gpu_pool_base_units = $2, cpu_pool_base_units = $3, reserve_base_units = $4, allocated_at = $5 where epoch = $1 and allocated_at is null`,
    [epoch, (pools.GPU ?? 0n).toString(), (pools.CPU ?? 0n).toString(), reserve.toString(), allocatedAt],
  );
}
