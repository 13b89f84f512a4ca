import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, commonV1, inventoryV1 } from '@ionet/contracts';
import { projectionSpec, specEvent, type ProjectionSpecRun } from '@ionet/testing';
import { billingDirectoryProjection } from '../src/application/projections/billing-directory.projection';

const WALLET = '11111111111111111111111111111111';
const S1 = '0190b1f2-7c1e-7000-8000-000000000001';
const D1 = '0190b1f2-7c1e-7000-8000-0000000000d1';
const D2 = '0190b1f2-7c1e-7000-8000-0000000000d2';
const at = timestampFromDate(new Date(Date.UTC(2026, 10, 25, 10)));

const device = (deviceId: string, model: string) =>
  specEvent(inventoryV1.DeviceRegisteredSchema, deviceId, {
    deviceId,
    supplierId: S1,
    tenantId: 'tenant-a',
    agentPublicKey: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
    deviceClass: commonV1.DeviceClass.GPU,
    gpu: { model, vramMib: 81_920, count: 8 },
    cpuCores: 64,
    ramMib: 1_048_576,
    diskGib: 4_000,
    countryCode: 'DE',
    region: 'eu-central',
    connectivityTier: commonV1.ConnectivityTier.ULTRA_HIGH,
    securityTier: commonV1.SecurityTier.SECURE,
    source: commonV1.SupplySource.MINING_FARM,
    askPricePerGpuHour: { amountBaseUnits: '1990000', asset: Asset.USDC },
    payoutWallet: WALLET,
    registeredAt: at,
  });

describe('billing directory projection (spec kit: every event twice, out of batch order, real PostgreSQL)', () => {
  let run: ProjectionSpecRun;

  beforeAll(async () => {
    run = await projectionSpec(billingDirectoryProjection, [
      specEvent(inventoryV1.SupplierRegisteredSchema, S1, { supplierId: S1, tenantId: 'tenant-a', displayName: 'Ridge', source: commonV1.SupplySource.MINING_FARM, payoutWallet: WALLET, registeredAt: at }),
      device(D1, 'NVIDIA H100 80GB HBM3'),
      device(D2, 'Some Future GPU'),
    ]);
  });
  afterAll(async () => run?.close());

  it('knows which organization owns a supplier and each device by its catalogue GPU name', async () => {
    expect(await run.rows('billing_suppliers')).toEqual([{ supplier_id: S1, tenant_id: 'tenant-a' }]);
    expect(await run.rows('billing_devices')).toEqual([
      { device_id: D1, supplier_id: S1, gpu_model: 'H100-80GB' },
      { device_id: D2, supplier_id: S1, gpu_model: 'Some Future GPU' },
    ]);
  });
});
