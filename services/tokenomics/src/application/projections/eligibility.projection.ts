import { inventoryV1, verificationV1 } from '@ionet/contracts';
import { defineProjection, on, type ProjectionContext } from '@ionet/eventing';

export const ELIGIBILITY = 'tokenomics_eligibility';

/** The live tables of the projection (what the epoch closer and the queries read). */
export const ELIGIBILITY_TABLES = { suppliers: 'tk_suppliers', devices: 'tk_devices', proofs: 'tk_device_proofs', uptime: 'tk_uptime', roots: 'tk_epoch_roots' } as const;

/**
 * What an epoch's eligibility needs from the other contexts (ADR 0610): inventory's suppliers and
 * devices (wallet, GPUs, tier, status), verification's qualification, uptime intervals (qualified
 * with its uptime, heartbeats stopped and resumed) and the hourly heartbeat Merkle roots.
 * Idempotent per event: inserts keep the first row, updates are guarded by the stream version, and
 * uptime intervals are keyed by their start.
 */
export const eligibilityProjection = defineProjection({
  name: ELIGIBILITY,
  version: 1,
  consumerGroup: 'tokenomics.eligibility',
  contexts: ['inventory', 'verification'],
  tables: [
    { name: ELIGIBILITY_TABLES.suppliers, columnsSql: `supplier_id text not null, tenant_id text not null, payout_wallet text not null, version bigint not null`, primaryKey: ['supplier_id'] },
    {
      name: ELIGIBILITY_TABLES.devices,
      columnsSql: `device_id text not null, supplier_id text not null, tenant_id text not null, device_class text not null, gpu_model text, gpu_count int not null,
        connectivity_tier text not null, payout_wallet text not null, status text not null, registered_at timestamptz not null, version bigint not null`,
      primaryKey: ['device_id'],
    },
    { name: ELIGIBILITY_TABLES.proofs, columnsSql: `device_id text not null, qualified_at timestamptz, disqualified_at timestamptz`, primaryKey: ['device_id'] },
    { name: ELIGIBILITY_TABLES.uptime, columnsSql: `device_id text not null, up_from timestamptz not null, up_to timestamptz`, primaryKey: ['device_id', 'up_from'] },
    { name: ELIGIBILITY_TABLES.roots, columnsSql: `epoch bigint not null, merkle_root text not null, leaf_count bigint not null, transaction_signature text not null`, primaryKey: ['epoch'] },
  ],
  handlers: [
    on(inventoryV1.SupplierRegisteredSchema, async (e, m, ctx) => {
      await ctx.tx.query(`insert into ${ctx.table(ELIGIBILITY_TABLES.suppliers)} (supplier_id, tenant_id, payout_wallet, version) values ($1, $2, $3, $4) on conflict (supplier_id) do nothing`, [
        e.supplierId,
        e.tenantId,
        e.payoutWallet,
        m.aggregateVersion.toString(),
      ]);
    }),
    on(inventoryV1.SupplierPayoutWalletChangedSchema, async (e, m, ctx) => {
      await ctx.tx.query(`update ${ctx.table(ELIGIBILITY_TABLES.suppliers)} set payout_wallet = $2, version = $3 where supplier_id = $1 and version < $3`, [e.supplierId, e.payoutWallet, m.aggregateVersion.toString()]);
    }),
    on(inventoryV1.DeviceRegisteredSchema, async (e, m, ctx) => {
      await ctx.tx.query(
        `insert into ${ctx.table(ELIGIBILITY_TABLES.devices)} (device_id, supplier_id, tenant_id, device_class, gpu_model, gpu_count, connectivity_tier, payout_wallet, status, registered_at, version)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10) on conflict (device_id) do nothing`,
        [e.deviceId, e.supplierId, e.tenantId, e.deviceClass, e.gpu?.model ?? null, e.gpu?.count ?? 0, e.connectivityTier, e.payoutWallet, e.registeredAt, m.aggregateVersion.toString()],
      );
    }),
    on(inventoryV1.DeviceSpecUpdatedSchema, async (e, m, ctx) => {
      await ctx.tx.query(
        `update ${ctx.table(ELIGIBILITY_TABLES.devices)} set device_class = $2, gpu_model = $3, gpu_count = $4, connectivity_tier = $5, version = $6 where device_id = $1 and version < $6`,
        [e.deviceId, e.deviceClass, e.gpu?.model ?? null, e.gpu?.count ?? 0, e.connectivityTier, m.aggregateVersion.toString()],
      );
    }),
    on(inventoryV1.DeviceBecameClusterReadySchema, (e, m, ctx) => setStatus(ctx, e.deviceId, e.status ?? 'cluster_ready', m.aggregateVersion)),
    on(inventoryV1.DeviceWentOfflineSchema, (e, m, ctx) => setStatus(ctx, e.deviceId, e.status ?? 'offline', m.aggregateVersion)),
    on(inventoryV1.DeviceCameOnlineSchema, (e, m, ctx) => (e.status ? setStatus(ctx, e.deviceId, e.status, m.aggregateVersion) : Promise.resolve())),
    on(inventoryV1.DeviceBlockedSchema, (e, m, ctx) => setStatus(ctx, e.deviceId, e.status ?? 'blocked', m.aggregateVersion)),
    on(inventoryV1.DevicePausedSchema, (e, m, ctx) => setStatus(ctx, e.deviceId, e.status, m.aggregateVersion)),
    on(inventoryV1.DeviceResumedSchema, (e, m, ctx) => setStatus(ctx, e.deviceId, e.status, m.aggregateVersion)),
    on(inventoryV1.DeviceLeasedSchema, (e, m, ctx) => setStatus(ctx, e.deviceId, e.status, m.aggregateVersion)),
    on(inventoryV1.DeviceReleasedSchema, (e, m, ctx) => setStatus(ctx, e.deviceId, e.status, m.aggregateVersion)),
    on(verificationV1.DeviceQualifiedSchema, async (e, _m, ctx) => {
      const qualifiedAt = e.qualifiedAt!;
      await ctx.tx.query(
        `insert into ${ctx.table(ELIGIBILITY_TABLES.proofs)} (device_id, qualified_at) values ($1, $2)
         on conflict (device_id) do update set qualified_at = least(coalesce(${ctx.table(ELIGIBILITY_TABLES.proofs)}.qualified_at, $2), $2)`,
        [e.deviceId, qualifiedAt],
      );
      await openUptime(ctx, e.deviceId, new Date(qualifiedAt.getTime() - Number(e.uptimeSeconds) * 1_000));
    }),
    on(verificationV1.DeviceDisqualifiedSchema, async (e, _m, ctx) => {
      await ctx.tx.query(
        `insert into ${ctx.table(ELIGIBILITY_TABLES.proofs)} (device_id, disqualified_at) values ($1, $2)
         on conflict (device_id) do update set disqualified_at = least(coalesce(${ctx.table(ELIGIBILITY_TABLES.proofs)}.disqualified_at, $2), $2)`,
        [e.deviceId, e.disqualifiedAt],
      );
    }),
    on(verificationV1.AgentHeartbeatsResumedSchema, (e, _m, ctx) => openUptime(ctx, e.deviceId, e.firstHeartbeatAt!)),
    on(verificationV1.AgentHeartbeatsStoppedSchema, async (e, _m, ctx) => {
      await ctx.tx.query(`update ${ctx.table(ELIGIBILITY_TABLES.uptime)} set up_to = $2 where device_id = $1 and up_from <= $2 and up_to is null`, [e.deviceId, e.lastHeartbeatAt]);
    }),
    on(verificationV1.EpochProofRootCommittedSchema, async (e, _m, ctx) => {
      await ctx.tx.query(
        `insert into ${ctx.table(ELIGIBILITY_TABLES.roots)} (epoch, merkle_root, leaf_count, transaction_signature) values ($1, $2, $3, $4)
         on conflict (epoch) do update set transaction_signature = excluded.transaction_signature where ${ctx.table(ELIGIBILITY_TABLES.roots)}.transaction_signature = ''`,
        [e.epochNumber.toString(), Buffer.from(e.merkleRoot).toString('hex'), e.leafCount.toString(), e.chainTransactionSignature],
      );
    }),
  ],
});

async function setStatus(ctx: ProjectionContext, deviceId: string, status: string, version: bigint): Promise<void> {
  await ctx.tx.query(`update ${ctx.table(ELIGIBILITY_TABLES.devices)} set status = $2, version = $3 where device_id = $1 and version < $3`, [deviceId, status, version.toString()]);
}

/** A device up since `from`, unless an interval already covers that instant (a replay, or a
 *  qualification inside an interval a resumption opened). */
async function openUptime(ctx: ProjectionContext, deviceId: string, from: Date): Promise<void> {
  const uptime = ctx.table(ELIGIBILITY_TABLES.uptime);
  await ctx.tx.query(
    `insert into ${uptime} (device_id, up_from, up_to)
     select $1, $2, null where not exists (select 1 from ${uptime} where device_id = $1 and up_from <= $2 and (up_to is null or up_to >= $2))
     on conflict (device_id, up_from) do nothing`,
    [deviceId, from],
  );
}
