import { inventoryV1 } from '@ionet/contracts';
import { defineProjection, on, type ProjectionContext } from '@ionet/eventing';
import type { EventMetadata } from '@ionet/contracts';
import { pendingReason } from '../../domain/device/device.decider';
import type { WireDeviceSpec } from '../../infrastructure/messaging/inventory-event-codec';

export const INVENTORY_CATALOG = 'inventory_catalog';

/**
 * The read model behind GET /v1/suppliers and /v1/devices, built from the inventory topic by its own
 * consumer group and rebuildable blue/green. Every write is guarded by the aggregate version, so an
 * event applied twice, or events of different aggregates in any order, leave the same rows.
 */
export const inventoryCatalogProjection = defineProjection({
  name: INVENTORY_CATALOG,
  version: 2,
  consumerGroup: 'inventory.catalog',
  contexts: ['inventory'],
  tables: [
    {
      name: 'suppliers',
      columnsSql: `supplier_id uuid not null, tenant_id text not null, name text not null, source text not null,
        partner_network text, payout_wallet text, registered_at timestamptz not null, version bigint not null`,
      primaryKey: ['supplier_id'],
      // The catalogue's pages (catalog-query.ts): a tenant's, and all of them for ops, in keyset order.
      indexes: [['tenant_id', 'registered_at', 'supplier_id'], ['registered_at', 'supplier_id']],
    },
    {
      name: 'devices',
      columnsSql: `device_id uuid not null, supplier_id uuid not null, tenant_id text not null, device_class text not null,
        gpu_model text, gpu_vram_mib int, gpu_count int not null, cpu_cores int not null, ram_mib int not null, disk_gib int not null,
        country_code text not null, region text not null, connectivity_tier text not null, security_tier text not null,
        source text not null, agent_public_key text not null, payout_wallet text not null,
        ask_price_usdc_base_units numeric(30, 0) not null, registered_at timestamptz not null, updated_at timestamptz not null,
        version bigint not null, status text not null, status_reason text not null, status_since timestamptz not null,
        simulated boolean not null, enrollment_token_id uuid, partner_network text, partner_external_id text, lease_id text,
        gpu_uuids text[] not null, reported_gpu_model text not null, hostname text not null, agent_version text not null`,
      primaryKey: ['device_id'],
      indexes: [['tenant_id', 'registered_at', 'device_id'], ['registered_at', 'device_id']],
    },
  ],
  handlers: [
    on(inventoryV1.SupplierRegisteredSchema, async (e, metadata, ctx) => {
      await ctx.tx.query(
        `insert into ${ctx.table('suppliers')} (supplier_id, tenant_id, name, source, partner_network, payout_wallet, registered_at, version)
         values ($1, $2, $3, $4, nullif($5, ''), nullif($6, ''), $7, $8)
         on conflict (supplier_id) do nothing`,
        [e.supplierId, e.tenantId, e.displayName, e.source, e.partnerNetwork, e.payoutWallet, e.registeredAt, metadata.aggregateVersion.toString()],
      );
    }),
    on(inventoryV1.DeviceRegisteredSchema, async (e, metadata, ctx) => {
      await ctx.tx.query(
        `insert into ${ctx.table('devices')} (device_id, supplier_id, tenant_id, device_class, gpu_model, gpu_vram_mib, gpu_count, cpu_cores, ram_mib, disk_gib,
           country_code, region, connectivity_tier, security_tier, source, agent_public_key, payout_wallet, ask_price_usdc_base_units,
           registered_at, updated_at, version, status, status_reason, status_since, simulated, enrollment_token_id, partner_network, partner_external_id,
           gpu_uuids, reported_gpu_model, hostname, agent_version)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, 'pending', $21, $19, $22, $23, nullif($24, ''), $25,
           $26, $27, $28, $29)
         on conflict (device_id) do nothing`,
        [
          e.deviceId,
          e.supplierId,
          e.tenantId,
          ...specValues(e),
          e.source,
          e.agentPublicKey,
          e.payoutWallet,
          e.askPricePerGpuHour!.amountBaseUnits.toString(),
          e.registeredAt,
          metadata.aggregateVersion.toString(),
          e.statusReason || pendingReason(e.agentPublicKey !== ''),
          e.simulated,
          e.enrollmentTokenId ?? null,
          e.partnerNetwork,
          e.partnerExternalId ?? null,
          e.gpuUuids,
          e.reportedGpuModel,
          e.hostname,
          e.agentVersion,
        ],
      );
    }),
    on(inventoryV1.DevicePriceSetSchema, async (e, metadata, ctx) => {
      await ctx.tx.query(`update ${ctx.table('devices')} set ask_price_usdc_base_units = $2, updated_at = $3, version = $4 where device_id = $1 and version < $4`, [
        e.deviceId,
        e.askPricePerGpuHour!.amountBaseUnits.toString(),
        e.setAt,
        metadata.aggregateVersion.toString(),
      ]);
    }),
    on(inventoryV1.DeviceSpecUpdatedSchema, async (e, metadata, ctx) => {
      await ctx.tx.query(
        `update ${ctx.table('devices')} set device_class = $2, gpu_model = $3, gpu_vram_mib = $4, gpu_count = $5, cpu_cores = $6, ram_mib = $7, disk_gib = $8,
           country_code = $9, region = $10, connectivity_tier = $11, security_tier = $12, updated_at = $13, version = $14
         where device_id = $1 and version < $14`,
        [
          e.deviceId,
          ...specValues(e),
          e.updatedAt,
          metadata.aggregateVersion.toString(),
        ],
      );
    }),
    on(inventoryV1.DeviceAgentAttachedSchema, async (e, metadata, ctx) => {
      await ctx.tx.query(
        `update ${ctx.table('devices')} set agent_public_key = $2, simulated = $3, enrollment_token_id = $4, gpu_uuids = $5, reported_gpu_model = $6,
           hostname = $7, agent_version = $8, updated_at = $9, version = $10,
           status_since = case when status = $11 then status_since else $9 end, status = $11, status_reason = $12
         where device_id = $1 and version < $10`,
        [
          e.deviceId,
          e.agentPublicKey,
          e.simulated,
          e.enrollmentTokenId,
          e.gpuUuids,
          e.reportedGpuModel,
          e.hostname,
          e.agentVersion,
          e.attachedAt,
          metadata.aggregateVersion.toString(),
          e.status,
          e.statusReason,
        ],
      );
    }),
    on(inventoryV1.DeviceBecameClusterReadySchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status ?? 'cluster_ready', e.statusReason, e.readyAt!)),
    on(inventoryV1.DeviceWentOfflineSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status ?? 'offline', e.statusReason, e.detectedAt!)),
    on(inventoryV1.DeviceCameOnlineSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status ?? 'pending', e.statusReason, e.onlineAt!)),
    on(inventoryV1.DeviceBlockedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status ?? 'blocked', e.statusReason || `blocked: ${e.detail}`, e.blockedAt!)),
    on(inventoryV1.DevicePausedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status, e.statusReason, e.pausedAt!)),
    on(inventoryV1.DeviceResumedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status, e.statusReason, e.resumedAt!)),
    on(inventoryV1.DeviceLeasedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status, e.statusReason, e.leasedAt!, { leaseId: e.leaseId })),
    on(inventoryV1.DeviceReleasedSchema, (e, metadata, ctx) => setStatus(ctx, metadata, e.deviceId, e.status, e.statusReason, e.releasedAt!, { leaseId: null })),
  ],
});

/** Every lifecycle fact carries the status it left (the decider derived it): the row takes it, and
 *  `status_since` moves only when the status itself changed. Guarded by the stream version. */
async function setStatus(ctx: ProjectionContext, metadata: EventMetadata, deviceId: string, status: string, reason: string, at: Date, lease?: { leaseId: string | null }): Promise<void> {
  await ctx.tx.query(
    `update ${ctx.table('devices')} set status_since = case when status = $2 then status_since else $4 end, status = $2, status_reason = $3, updated_at = $4, version = $5
       ${lease ? ', lease_id = $6' : ''}
     where device_id = $1 and version < $5`,
    [deviceId, status, reason, at, metadata.aggregateVersion.toString(), ...(lease ? [lease.leaseId] : [])],
  );
}

/** The spec columns in the order both the insert and the spec update list them. */
function specValues(e: WireDeviceSpec): unknown[] {
  return [e.deviceClass, e.gpu?.model ?? null, e.gpu?.vramMib ?? null, e.gpu?.count ?? 0, e.cpuCores, e.ramMib, e.diskGib, e.countryCode, e.region, e.connectivityTier, e.securityTier];
}
