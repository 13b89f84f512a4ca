import { inventoryV1 } from '@ionet/contracts';
import { defineProjection, on } from '@ionet/eventing';

export const INVENTORY_CATALOG = 'inventory_catalog';

/**
 * The read model behind GET /v1/suppliers and /v1/devices, built from the inventory topic by its own
 * consumer group and rebuildable blue/green. Every write is guarded by the aggregate version, so an
 * event applied twice, or events of different aggregates in any order, leave the same rows.
 */
export const inventoryCatalogProjection = defineProjection({
  name: INVENTORY_CATALOG,
  version: 1,
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
        version bigint not null`,
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
           registered_at, updated_at, version)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20)
         on conflict (device_id) do nothing`,
        [
          e.deviceId,
          e.supplierId,
          e.tenantId,
          e.deviceClass,
          e.gpu?.model ?? null,
          e.gpu?.vramMib ?? null,
          e.gpu?.count ?? 0,
          e.cpuCores,
          e.ramMib,
          e.diskGib,
          e.countryCode,
          e.region,
          e.connectivityTier,
          e.securityTier,
          e.source,
          e.agentPublicKey,
          e.payoutWallet,
          e.askPricePerGpuHour!.amountBaseUnits.toString(),
          e.registeredAt,
          metadata.aggregateVersion.toString(),
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
  ],
});
