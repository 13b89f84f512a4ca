import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, commonV1, inventoryV1 } from '@ionet/contracts';
import { projectionSpec, specEvent, type ProjectionSpecRun } from '@ionet/testing';
import { inventoryCatalogProjection } from '../src/application/projections/inventory-catalog.projection';

const WALLET = '11111111111111111111111111111111';
const at = (minute: number) => timestampFromDate(new Date(Date.UTC(2026, 10, 25, 10, minute)));
const usdc = (amount: bigint) => ({ amountBaseUnits: amount.toString(), asset: Asset.USDC });

const S1 = '0190b1f2-7c1e-7000-8000-000000000001';
const S2 = '0190b1f2-7c1e-7000-8000-000000000002';
const D1 = '0190b1f2-7c1e-7000-8000-0000000000d1';
const D2 = '0190b1f2-7c1e-7000-8000-0000000000d2';
const D3 = '0190b1f2-7c1e-7000-8000-0000000000d3';
const AGENT = 'So11111111111111111111111111111111111111112';

const registered = (deviceId: string, supplierId: string, tenantId: string, minute: number) =>
  specEvent(inventoryV1.DeviceRegisteredSchema, deviceId, {
    deviceId,
    supplierId,
    tenantId,
    agentPublicKey: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
    deviceClass: commonV1.DeviceClass.GPU,
    gpu: { model: 'H100', vramMib: 81_920, count: 8 },
    cpuCores: 64,
    ramMib: 1_048_576,
    diskGib: 4_000,
    countryCode: 'DE',
    region: 'eu-central',
    connectivityTier: commonV1.ConnectivityTier.ULTRA_HIGH,
    securityTier: commonV1.SecurityTier.SECURE,
    source: commonV1.SupplySource.MINING_FARM,
    askPricePerGpuHour: usdc(1_990_000n),
    payoutWallet: WALLET,
    registeredAt: at(minute),
  });

describe('inventory catalogue projection (spec kit: every event twice, out of batch order, real PostgreSQL)', () => {
  let run: ProjectionSpecRun;

  beforeAll(async () => {
    run = await projectionSpec(inventoryCatalogProjection, [
      specEvent(inventoryV1.SupplierRegisteredSchema, S1, { supplierId: S1, tenantId: 'tenant-a', displayName: 'Ridge', source: commonV1.SupplySource.MINING_FARM, payoutWallet: WALLET, registeredAt: at(0) }),
      specEvent(inventoryV1.SupplierRegisteredSchema, S2, { supplierId: S2, tenantId: 'tenant-b', displayName: 'Pool', source: commonV1.SupplySource.PARTNER_NETWORK, partnerNetwork: 'render', registeredAt: at(1) }),
      registered(D1, S1, 'tenant-a', 2),
      registered(D2, S2, 'tenant-b', 3),
      specEvent(inventoryV1.DevicePriceSetSchema, D1, { deviceId: D1, supplierId: S1, askPricePerGpuHour: usdc(2_500_000n), setAt: at(4) }),
      specEvent(inventoryV1.DevicePriceSetSchema, D1, { deviceId: D1, supplierId: S1, askPricePerGpuHour: usdc(9_007_199_254_740_993n), setAt: at(5) }),
      // D2's lifecycle: ready, leased, offline while leased (status since moves), back, released.
      specEvent(inventoryV1.DeviceBecameClusterReadySchema, D2, { deviceId: D2, supplierId: S2, challengeId: 'ch-1', readyAt: at(6), status: inventoryV1.DeviceStatus.CLUSTER_READY, statusReason: 'ready' }),
      specEvent(inventoryV1.DeviceLeasedSchema, D2, { deviceId: D2, supplierId: S2, leaseId: 'lease-1', leasedAt: at(7), status: inventoryV1.DeviceStatus.LEASED, statusReason: 'leased' }),
      specEvent(inventoryV1.DeviceWentOfflineSchema, D2, { deviceId: D2, supplierId: S2, lastSeenAt: at(7), detectedAt: at(8), status: inventoryV1.DeviceStatus.OFFLINE, statusReason: 'offline 1' }),
      specEvent(inventoryV1.DeviceCameOnlineSchema, D2, { deviceId: D2, supplierId: S2, onlineAt: at(9), status: inventoryV1.DeviceStatus.LEASED, statusReason: 'leased again' }),
      // D3: a partner device whose agent enrolls, then is paused and blocked.
      specEvent(inventoryV1.DeviceRegisteredSchema, D3, {
        ...(registered(D3, S2, 'tenant-b', 10).data as object),
        agentPublicKey: '',
        partnerNetwork: 'render',
        partnerExternalId: 'node-7',
        statusReason: "pending: waiting for the partner network's agent",
      }),
      specEvent(inventoryV1.DeviceSpecUpdatedSchema, D3, {
        deviceId: D3,
        supplierId: S2,
        deviceClass: commonV1.DeviceClass.GPU,
        gpu: { model: 'RTX-4090', vramMib: 24_576, count: 2 },
        cpuCores: 16,
        ramMib: 65_536,
        diskGib: 1_000,
        countryCode: 'US',
        region: 'us-west',
        connectivityTier: commonV1.ConnectivityTier.HIGH,
        securityTier: commonV1.SecurityTier.STANDARD,
        updatedAt: at(11),
      }),
      specEvent(inventoryV1.DeviceAgentAttachedSchema, D3, {
        deviceId: D3,
        supplierId: S2,
        agentPublicKey: AGENT,
        enrollmentTokenId: '0190b1f2-7c1e-7000-8000-0000000000e1',
        simulated: true,
        gpuUuids: ['GPU-a', 'GPU-b'],
        reportedGpuModel: 'NVIDIA GeForce RTX 4090',
        hostname: 'r-7',
        agentVersion: '0.1.0',
        attachedAt: at(12),
        status: inventoryV1.DeviceStatus.PENDING,
        statusReason: 'waiting for verification',
      }),
      specEvent(inventoryV1.DevicePausedSchema, D3, { deviceId: D3, supplierId: S2, pausedAt: at(13), status: inventoryV1.DeviceStatus.PAUSED, statusReason: 'paused' }),
      specEvent(inventoryV1.DeviceResumedSchema, D3, { deviceId: D3, supplierId: S2, resumedAt: at(14), status: inventoryV1.DeviceStatus.PENDING, statusReason: 'pending again' }),
      specEvent(inventoryV1.DeviceBlockedSchema, D3, {
        deviceId: D3,
        supplierId: S2,
        reason: inventoryV1.DeviceBlockReason.TIME_LOCK_VIOLATION,
        detail: 'foreign process',
        blockedAt: at(15),
        status: inventoryV1.DeviceStatus.BLOCKED,
        statusReason: 'blocked: foreign process',
      }),
      specEvent(inventoryV1.DeviceReleasedSchema, D2, { deviceId: D2, supplierId: S2, leaseId: 'lease-1', releasedAt: at(16), status: inventoryV1.DeviceStatus.CLUSTER_READY, statusReason: 'ready again' }),
    ]);
  });
  afterAll(async () => run?.close());

  it('keeps the latest price of each device, exact past 2^53, with its stream version', async () => {
    const devices = await run.rows('devices');
    expect(devices.map((d) => [d.device_id, d.ask_price_usdc_base_units, d.version])).toEqual([
      [D1, '9007199254740993', '3'],
      [D2, '1990000', '6'],
      [D3, '1990000', '6'],
    ]);
    expect(devices[0]).toMatchObject({ tenant_id: 'tenant-a', source: 'mining_farm', connectivity_tier: 'ultra_high', security_tier: 'secure', device_class: 'gpu', gpu_count: 8 });
  });

  it('takes the status each lifecycle fact carries, moving status_since only when the status changes', async () => {
    const [d1, d2, d3] = await run.rows('devices');
    const minute = (m: number) => new Date(Date.UTC(2026, 10, 25, 10, m));
    expect(d1).toMatchObject({ status: 'pending', status_since: minute(2), lease_id: null, simulated: false, partner_network: null });
    expect(d2).toMatchObject({ status: 'cluster_ready', status_reason: 'ready again', status_since: minute(16), lease_id: null });
    expect(d3).toMatchObject({
      status: 'blocked',
      status_reason: 'blocked: foreign process',
      status_since: minute(15),
      agent_public_key: AGENT,
      simulated: true,
      partner_network: 'render',
      partner_external_id: 'node-7',
      gpu_model: 'RTX-4090',
      gpu_count: 2,
      country_code: 'US',
      gpu_uuids: ['GPU-a', 'GPU-b'],
      hostname: 'r-7',
    });
  });

  it('maps suppliers with their names for enums and an absent partner network or wallet as null', async () => {
    expect(await run.rows('suppliers')).toEqual([
      expect.objectContaining({ supplier_id: S1, source: 'mining_farm', partner_network: null, payout_wallet: WALLET, version: '1' }),
      expect.objectContaining({ supplier_id: S2, source: 'partner_network', partner_network: 'render', payout_wallet: null }),
    ]);
  });
});
