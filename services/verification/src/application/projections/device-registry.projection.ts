import { inventoryV1 } from '@ionet/contracts';
import { defineProjection, on } from '@ionet/eventing';

export const DEVICE_REGISTRY = 'verification_device_registry';

/**
 * Inventory's devices as verification needs them (ADR 0410): which device an agent's key is, its
 * GPUs (the proof of work is sized by them), whether they are simulated, its supplier and tenant
 * (who may read its eligibility), wallet and tier (eligibility rules), and inventory's status.
 * Idempotent per event: inserts keep the first row, updates are guarded by the stream version.
 */
export const deviceRegistryProjection = defineProjection({
  name: DEVICE_REGISTRY,
  version: 2,
  consumerGroup: 'verification.device-registry',
  contexts: ['inventory'],
  tables: [
    {
      name: 'registered_devices',
      columnsSql: `device_id uuid not null, supplier_id uuid not null, tenant_id text not null, agent_public_key text not null,
        device_class text not null, gpu_model text, gpu_vram_mib int, gpu_count int not null, simulated boolean not null,
        connectivity_tier text not null, payout_wallet text not null, status text not null, status_at timestamptz not null,
        registered_at timestamptz not null, version bigint not null`,
      primaryKey: ['device_id'],
    },
    { name: 'agent_keys', columnsSql: `agent_public_key text not null, device_id uuid not null`, primaryKey: ['agent_public_key'] },
  ],
  handlers: [
    on(inventoryV1.DeviceRegisteredSchema, async (e, metadata, ctx) => {
      await ctx.tx.query(
        `insert into ${ctx.table('registered_devices')} (device_id, supplier_id, tenant_id, agent_public_key, device_class, gpu_model, gpu_vram_mib, gpu_count, simulated,
           connectivity_tier, payout_wallet, status, status_at, registered_at, version)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12, $12, $13) on conflict (device_id) do nothing`,
        [
          e.deviceId,
          e.supplierId,
          e.tenantId,
          e.agentPublicKey,
          e.deviceClass,
          e.gpu?.model ?? null,
          e.gpu?.vramMib ?? null,
          e.gpu?.count ?? 0,
          e.simulated,
          e.connectivityTier,
          e.payoutWallet,
          e.registeredAt,
          metadata.aggregateVersion.toString(),
        ],
      );
      // A partner network's device registered through its API has no agent yet.
      if (e.agentPublicKey) await mapKey(ctx, e.agentPublicKey, e.deviceId);
    }),
    // An agent enrolled onto a partner network's device: from now on it speaks for the device.
    on(inventoryV1.DeviceAgentAttachedSchema, async (e, metadata, ctx) => {
      await mapKey(ctx, e.agentPublicKey, e.deviceId);
      await ctx.tx.query(`update ${ctx.table('registered_devices')} set agent_public_key = $2, simulated = $3, status = $4, status_at = $5, version = $6 where device_id = $1 and version < $6`, [
        e.deviceId,
        e.agentPublicKey,
        e.simulated,
        e.status,
        e.attachedAt,
        metadata.aggregateVersion.toString(),
      ]);
    }),
    on(inventoryV1.DeviceSpecUpdatedSchema, async (e, metadata, ctx) => {
      await ctx.tx.query(
        `update ${ctx.table('registered_devices')} set device_class = $2, gpu_model = $3, gpu_vram_mib = $4, gpu_count = $5, connectivity_tier = $6, version = $7 where device_id = $1 and version < $7`,
        [e.deviceId, e.deviceClass, e.gpu?.model ?? null, e.gpu?.vramMib ?? null, e.gpu?.count ?? 0, e.connectivityTier, metadata.aggregateVersion.toString()],
      );
    }),
    // Every status fact names the status after it (older events did not: then the fact's own).
    on(inventoryV1.DeviceBecameClusterReadySchema, (e, metadata, ctx) => setStatus(ctx, e.deviceId, e.status ?? 'cluster_ready', e.readyAt!, metadata.aggregateVersion)),
    on(inventoryV1.DeviceWentOfflineSchema, (e, metadata, ctx) => setStatus(ctx, e.deviceId, e.status ?? 'offline', e.detectedAt!, metadata.aggregateVersion)),
    on(inventoryV1.DeviceCameOnlineSchema, (e, metadata, ctx) => (e.status ? setStatus(ctx, e.deviceId, e.status, e.onlineAt!, metadata.aggregateVersion) : Promise.resolve())),
    on(inventoryV1.DeviceBlockedSchema, (e, metadata, ctx) => setStatus(ctx, e.deviceId, e.status ?? 'blocked', e.blockedAt!, metadata.aggregateVersion)),
    on(inventoryV1.DevicePausedSchema, (e, metadata, ctx) => setStatus(ctx, e.deviceId, e.status, e.pausedAt!, metadata.aggregateVersion)),
    on(inventoryV1.DeviceResumedSchema, (e, metadata, ctx) => setStatus(ctx, e.deviceId, e.status, e.resumedAt!, metadata.aggregateVersion)),
    on(inventoryV1.DeviceLeasedSchema, (e, metadata, ctx) => setStatus(ctx, e.deviceId, e.status, e.leasedAt!, metadata.aggregateVersion)),
    on(inventoryV1.DeviceReleasedSchema, (e, metadata, ctx) => setStatus(ctx, e.deviceId, e.status, e.releasedAt!, metadata.aggregateVersion)),
  ],
});

type RegistryContext = { tx: { query(text: string, values: unknown[]): Promise<unknown> }; table(name: string): string };

async function mapKey(ctx: RegistryContext, agentPublicKey: string, deviceId: string): Promise<void> {
  await ctx.tx.query(`insert into ${ctx.table('agent_keys')} (agent_public_key, device_id) values ($1, $2) on conflict (agent_public_key) do nothing`, [agentPublicKey, deviceId]);
}

async function setStatus(ctx: RegistryContext, deviceId: string, status: string, at: Date, version: bigint): Promise<void> {
  await ctx.tx.query(`update ${ctx.table('registered_devices')} set status = $2, status_at = $3, version = $4 where device_id = $1 and version < $4`, [deviceId, status, at, version.toString()]);
}
