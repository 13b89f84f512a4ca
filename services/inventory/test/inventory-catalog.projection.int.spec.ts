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
    ]);
  });
  afterAll(async () => run?.close());

  it('keeps the latest price of each device, exact past 2^53, with its stream version', async () => {
    const devices = await run.rows('devices');
    expect(devices.map((d) => [d.device_id, d.ask_price_usdc_base_units, d.version])).toEqual([
      [D1, '9007199254740993', '3'],
      [D2, '1990000', '1'],
    ]);
    expect(devices[0]).toMatchObject({ tenant_id: 'tenant-a', source: 'mining_farm', connectivity_tier: 'ultra_high', security_tier: 'secure', device_class: 'gpu', gpu_count: 8 });
  });

  it('maps suppliers with their names for enums and an absent partner network or wallet as null', async () => {
    expect(await run.rows('suppliers')).toEqual([
      expect.objectContaining({ supplier_id: S1, source: 'mining_farm', partner_network: null, payout_wallet: WALLET, version: '1' }),
      expect.objectContaining({ supplier_id: S2, source: 'partner_network', partner_network: 'render', payout_wallet: null }),
    ]);
  });
});
