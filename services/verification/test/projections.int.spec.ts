import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, commonV1, inventoryV1, leasingV1 } from '@ionet/contracts';
import { projectionSpec, specEvent, type ProjectionSpecRun } from '@ionet/testing';
import { deviceRegistryProjection } from '../src/application/projections/device-registry.projection';
import { leasesProjection } from '../src/application/projections/leases.projection';
import { leaseCreatedData } from './support/verification-test-kit';

const at = (minute: number) => timestampFromDate(new Date(Date.UTC(2026, 11, 1, 10, minute)));
const D1 = '0190b1f2-7c1e-7000-8000-0000000000d1';
const D2 = '0190b1f2-7c1e-7000-8000-0000000000d2';
const D3 = '0190b1f2-7c1e-7000-8000-0000000000d3';
const K3 = 'Vote111111111111111111111111111111111111111';
const S1 = '0190b1f2-7c1e-7000-8000-000000000001';
const usdc = { amountBaseUnits: '1000000', asset: Asset.USDC };

const registered = (deviceId: string, key: string, simulated: boolean) =>
  specEvent(inventoryV1.DeviceRegisteredSchema, deviceId, {
    deviceId,
    supplierId: S1,
    tenantId: 'tenant-a',
    agentPublicKey: key,
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
    askPricePerGpuHour: usdc,
    payoutWallet: '11111111111111111111111111111111',
    registeredAt: at(0),
    simulated,
  });

describe('verification device registry projection (every event twice, out of batch order, real PostgreSQL)', () => {
  let run: ProjectionSpecRun;
  beforeAll(async () => {
    run = await projectionSpec(deviceRegistryProjection, [
      registered(D1, 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA', false),
      registered(D2, '11111111111111111111111111111111', true),
      specEvent(inventoryV1.DeviceBecameClusterReadySchema, D1, { deviceId: D1, supplierId: S1, readyAt: at(5) }),
      specEvent(inventoryV1.DeviceBlockedSchema, D1, { deviceId: D1, supplierId: S1, reason: inventoryV1.DeviceBlockReason.FOREIGN_WORKLOAD, detail: 'x', blockedAt: at(9) }),
      specEvent(inventoryV1.DevicePausedSchema, D2, { deviceId: D2, supplierId: S1, pausedAt: at(10), status: inventoryV1.DeviceStatus.PAUSED, statusReason: 'paused by the supplier' }),
      // A partner network's device, registered without an agent; an agent attaches later.
      registered(D3, '', false),
      specEvent(inventoryV1.DeviceAgentAttachedSchema, D3, { deviceId: D3, supplierId: S1, agentPublicKey: K3, simulated: true, attachedAt: at(12), status: inventoryV1.DeviceStatus.PENDING }),
    ]);
  });
  afterAll(async () => run?.close());

  it('maps each agent key to its device, with the GPUs, simulation flag and latest status', async () => {
    expect((await run.rows('agent_keys')).map((r) => [r.agent_public_key, r.device_id])).toEqual([
      ['11111111111111111111111111111111', D2],
      ['TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA', D1],
      [K3, D3],
    ]);
    expect((await run.rows('registered_devices')).map((r) => [r.device_id, r.gpu_model, r.gpu_count, r.simulated, r.status, r.version])).toEqual([
      [D1, 'H100', 8, false, 'blocked', '3'],
      [D2, 'H100', 8, true, 'paused', '2'],
      [D3, 'H100', 8, true, 'pending', '2'],
    ]);
  });
});

describe('verification leases projection (every event twice, out of batch order, real PostgreSQL)', () => {
  let run: ProjectionSpecRun;
  beforeAll(async () => {
    run = await projectionSpec(leasesProjection, [
      specEvent(leasingV1.LeaseCreatedSchema, 'L1', leaseCreatedData('L1', 'c1', [D1, D2].map((deviceId) => ({ deviceId, supplierId: S1, gpuCount: 8 })), new Date(Date.UTC(2026, 11, 1, 10, 0)))),
      specEvent(leasingV1.LeaseActivatedSchema, 'L1', { leaseId: 'L1', customerId: 'c1', activatedAt: at(1), endsAt: timestampFromDate(new Date(Date.UTC(2026, 11, 1, 12, 1))) }),
      specEvent(leasingV1.LeaseDeviceReplacedSchema, 'L1', {
        leaseId: 'L1',
        failedDeviceId: D2,
        replacement: { deviceId: D3, supplierId: S1, gpuCount: 8, pricePerGpuHour: usdc, role: 'worker' },
        replacedAt: at(20),
      }),
      specEvent(leasingV1.LeaseExtendedSchema, 'L1', { leaseId: 'L1', customerId: 'c1', additionalHours: 1, additionalPrice: usdc, newEndsAt: timestampFromDate(new Date(Date.UTC(2026, 11, 1, 13, 1))), extendedAt: at(30) }),
      specEvent(leasingV1.LeaseTerminatedSchema, 'L1', { leaseId: 'L1', customerId: 'c1', reason: leasingV1.LeaseTerminationReason.COMPLETED, hoursUsed: 3, terminatedAt: timestampFromDate(new Date(Date.UTC(2026, 11, 1, 13, 1))) }),
    ]);
  });
  afterAll(async () => run?.close());

  it('keeps the lease window (extended, terminated) and each device\'s span: a replacement ends the failed one\'s and starts its own', async () => {
    const [lease] = await run.rows('leases');
    expect(lease).toMatchObject({ lease_id: 'L1', customer_id: 'c1', termination_reason: 'completed' });
    expect((lease!.ends_at as Date).toISOString()).toBe('2026-12-01T13:01:00.000Z');
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
    expect((await run.rows('lease_devices')).map((r) => [r.device_id, iso(r.joined_at), iso(r.left_at)])).toEqual([
      [D1, null, null],
      [D2, null, '2026-12-01T10:20:00.000Z'],
      [D3, '2026-12-01T10:20:00.000Z', null],
    ]);
  });
});
