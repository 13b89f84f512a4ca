import { inventoryV1, verificationV1, type EventMetadata } from '@ionet/contracts';
import { defineProjection, on, type ProjectionContext } from '@ionet/eventing';

export const OFFER_DEVICES = 'matching_devices';

/**
 * Every GPU device as matching sees it (spec, status, price, location, tiers, source, simulated)
 * from inventory's facts, and its reputation from verification's. Inventory's writes are guarded by
 * the device stream's version, reputation by its time: replays and redeliveries leave the same rows.
 * Only `cluster_ready` rows are offered; holds live in `reservations`, not here.
 */
export const offerDevicesProjection = defineProjection({
  name: OFFER_DEVICES,
  version: 1,
  consumerGroup: 'matching.devices',
  contexts: ['inventory', 'verification'],
  tables: [
    {
      name: 'devices',
      columnsSql: `device_id uuid not null, supplier_id uuid not null, gpu_model text not null, gpu_vram_mib int not null, gpu_count int not null,
        country_code text not null, region text not null, connectivity_tier text not null, security_tier text not null, source text not null,
        price_usdc_base_units numeric(30, 0) not null, status text not null, simulated boolean not null, registered_at timestamptz not null,
        version bigint not null`,
      primaryKey: ['device_id'],
    },
    {
      name: 'reputations',
      columnsSql: `device_id uuid not null, score_bps int not null, changed_at timestamptz not null`,
      primaryKey: ['device_id'],
    },
  ],
  handlers: [
    on(inventoryV1.DeviceRegisteredSchema, async (e, metadata, ctx) => {
      if (!e.gpu) return; // CPU devices are not offered as GPUs
      await ctx.tx.query(
        `insert into ${ctx.table('devices')} (device_id, supplier_id, gpu_model, gpu_vram_mib, gpu_count, country_code, region, connectivity_tier, security_tier,
           source, price_usdc_base_units, status, simulated, registered_at, version)
         values ($1, $2, $3, $4, $5, upper($6), $7, $8, $9, $10, $11, 'pending', $12, $13, $14)
         on conflict (device_id) do nothing`,
        [
          e.deviceId,
          e.supplierId,
          e.gpu.model,
          e.gpu.vramMib,
          e.gpu.count,
          e.countryCode,
          e.region,
          e.connectivityTier,
          e.securityTier,
          e.source,
          e.askPricePerGpuHour!.amountBaseUnits.toString(),
          e.simulated,
          e.registeredAt,
          metadata.aggregateVersion.toString(),
        ],
      );
    }),
    on(inventoryV1.DevicePriceSetSchema, async (e, metadata, ctx) => {
      await ctx.tx.query(`update ${ctx.table('devices')} set price_usdc_base_units = $2, version = $3 where device_id = $1 and version < $3`, [
        e.deviceId,
        e.askPricePerGpuHour!.amountBaseUnits.toString(),
        metadata.aggregateVersion.toString(),
      ]);
    }),
    on(inventoryV1.DeviceSpecUpdatedSchema, async (e, metadata, ctx) => {
      if (!e.gpu) return;
      await ctx.tx.query(
        `update ${ctx.table('devices')} set gpu_model = $2, gpu_vram_mib = $3, gpu_count = $4, country_code = upper($5), region = $6, connectivity_tier = $7,
           security_tier = $8, version = $9 where device_id = $1 and version < $9`,
        [e.deviceId, e.gpu.model, e.gpu.vramMib, e.gpu.count, e.countryCode, e.region, e.connectivityTier, e.securityTier, metadata.aggregateVersion.toString()],
      );
    }),
    on(inventoryV1.DeviceAgentAttachedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status, { simulated: e.simulated })),
    on(inventoryV1.DeviceBecameClusterReadySchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status ?? 'cluster_ready')),
    on(inventoryV1.DeviceWentOfflineSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status ?? 'offline')),
    on(inventoryV1.DeviceCameOnlineSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status ?? 'pending')),
    on(inventoryV1.DeviceBlockedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status ?? 'blocked')),
    on(inventoryV1.DevicePausedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status)),
    on(inventoryV1.DeviceResumedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status)),
    on(inventoryV1.DeviceLeasedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status)),
    on(inventoryV1.DeviceReleasedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status)),
    on(verificationV1.ReputationChangedSchema, async (e, _metadata, ctx) => {
      await ctx.tx.query(
        `insert into ${ctx.table('reputations')} (device_id, score_bps, changed_at) values ($1, $2, $3)
         on conflict (device_id) do update set score_bps = excluded.score_bps, changed_at = excluded.changed_at
         where ${ctx.table('reputations')}.changed_at <= excluded.changed_at`,
        [e.deviceId, e.scoreBasisPoints, e.changedAt],
      );
    }),
  ],
});

/** Every lifecycle fact carries the status inventory derived (ADR 0401): the row takes it. */
async function setStatus(ctx: ProjectionContext, metadata: EventMetadata, deviceId: string, status: string, extra: { simulated?: boolean } = {}): Promise<void> {
  await ctx.tx.query(
    `update ${ctx.table('devices')} set status = $2, version = $3 ${extra.simulated === undefined ? '' : ', simulated = $4'} where device_id = $1 and version < $3`,
    [deviceId, status, metadata.aggregateVersion.toString(), ...(extra.simulated === undefined ? [] : [extra.simulated])],
  );
}
