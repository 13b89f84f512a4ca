import { inventoryV1 } from '@ionet/contracts';
import { defineProjection, on } from '@ionet/eventing';
import { resolveGpuModel } from '@ionet/tokenomics';

/**
 * What billing needs to know of inventory: which organization owns a supplier (GET /v1/payouts
 * answers a supplier organization with its suppliers' payouts) and each device's GPU model (the cost
 * report compares it with public clouds' list prices). Rebuildable from the inventory topic.
 */
export const billingDirectoryProjection = defineProjection({
  name: 'billing_directory',
  version: 1,
  consumerGroup: 'billing.directory',
  contexts: ['inventory'],
  tables: [
    { name: 'billing_suppliers', columnsSql: 'supplier_id uuid not null, tenant_id text not null', primaryKey: ['supplier_id'] },
    { name: 'billing_devices', columnsSql: 'device_id uuid not null, supplier_id uuid not null, gpu_model text', primaryKey: ['device_id'] },
  ],
  handlers: [
    on(inventoryV1.SupplierRegisteredSchema, async (e, _metadata, ctx) => {
      await ctx.tx.query(`insert into ${ctx.table('billing_suppliers')} (supplier_id, tenant_id) values ($1, $2) on conflict (supplier_id) do nothing`, [e.supplierId, e.tenantId]);
    }),
    on(inventoryV1.DeviceRegisteredSchema, async (e, _metadata, ctx) => {
      // The catalogue's canonical name, so one price table row serves every way a model is reported.
      const model = e.gpu?.model ? (resolveGpuModel(e.gpu.model)?.name ?? e.gpu.model) : null;
      await ctx.tx.query(`insert into ${ctx.table('billing_devices')} (device_id, supplier_id, gpu_model) values ($1, $2, $3) on conflict (device_id) do nothing`, [e.deviceId, e.supplierId, model]);
    }),
  ],
});
