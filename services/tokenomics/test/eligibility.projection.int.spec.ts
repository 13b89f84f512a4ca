import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, commonV1, inventoryV1, verificationV1 } from '@ionet/contracts';
import { projectionSpec, specEvent, type ProjectionSpecRun } from '@ionet/testing';
import { eligibilityProjection } from '../src/application/projections/eligibility.projection';

const S1 = '0b4e2c57-5a7e-4a55-9d67-1a6f5f9f0001';
const D1 = '0b4e2c57-5a7e-4a55-9d67-1a6f5f9f00d1';
const WALLET = '11111111111111111111111111111111';
const WALLET2 = 'So11111111111111111111111111111111111111112';
const HOUR_MS = 3_600_000;
const t0 = Date.UTC(2026, 11, 1, 0);
const at = (hours: number) => timestampFromDate(new Date(t0 + hours * HOUR_MS));

describe('tokenomics eligibility projection (spec kit: every event twice, out of batch order, real PostgreSQL)', () => {
  let run: ProjectionSpecRun;

  beforeAll(async () => {
    run = await projectionSpec(eligibilityProjection, [
      specEvent(inventoryV1.SupplierRegisteredSchema, S1, { supplierId: S1, tenantId: 'tenant-a', displayName: 'Ridge', source: commonV1.SupplySource.MINING_FARM, payoutWallet: WALLET, registeredAt: at(0) }),
      specEvent(inventoryV1.SupplierPayoutWalletChangedSchema, S1, { supplierId: S1, payoutWallet: WALLET2, changedAt: at(1) }),
      specEvent(inventoryV1.DeviceRegisteredSchema, D1, {
        deviceId: D1,
        supplierId: S1,
        tenantId: 'tenant-a',
        agentPublicKey: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
        deviceClass: commonV1.DeviceClass.GPU,
        gpu: { model: 'H100', vramMib: 81_920, count: 8 },
        cpuCores: 64,
        ramMib: 1_048_576,
        diskGib: 4_000,
        countryCode: 'DE',
        region: 'eu-central',
        connectivityTier: commonV1.ConnectivityTier.HIGH,
        securityTier: commonV1.SecurityTier.SECURE,
        source: commonV1.SupplySource.MINING_FARM,
        askPricePerGpuHour: { amountBaseUnits: '1990000', asset: Asset.USDC },
        payoutWallet: '',
        registeredAt: at(0),
      }),
      specEvent(inventoryV1.DeviceLeasedSchema, D1, { deviceId: D1, supplierId: S1, leaseId: 'l1', leasedAt: at(8), status: inventoryV1.DeviceStatus.LEASED }),
      specEvent(inventoryV1.DeviceReleasedSchema, D1, { deviceId: D1, supplierId: S1, leaseId: 'l1', releasedAt: at(9), status: inventoryV1.DeviceStatus.CLUSTER_READY }),
      specEvent(verificationV1.DeviceQualifiedSchema, `v-${D1}`, { deviceId: D1, challengeId: 'c1', uptimeSeconds: BigInt(2 * 3_600), qualifiedAt: at(3) }),
      specEvent(verificationV1.AgentHeartbeatsStoppedSchema, `v-${D1}`, { deviceId: D1, lastHeartbeatAt: at(10), detectedAt: at(10.1) }),
      specEvent(verificationV1.AgentHeartbeatsResumedSchema, `v-${D1}`, { deviceId: D1, firstHeartbeatAt: at(12), resumedAt: at(12) }),
      specEvent(verificationV1.EpochProofRootCommittedSchema, 'epoch-7', { epochNumber: 7n, merkleRoot: new Uint8Array([1, 2, 3]), leafCount: 9n, chainTransactionSignature: 'sig-7', epochStart: at(6), epochEnd: at(7), committedAt: at(7), merkleAlgorithm: 'sha256', }),
    ]);
  });
  afterAll(async () => run?.close());

  it("keeps the supplier's latest wallet, the device's latest status, its qualification, its uptime intervals and the epoch roots", async () => {
    expect(await run.rows('tk_suppliers')).toEqual([expect.objectContaining({ supplier_id: S1, tenant_id: 'tenant-a', payout_wallet: WALLET2 })]);
    expect(await run.rows('tk_devices')).toEqual([expect.objectContaining({ device_id: D1, device_class: 'gpu', gpu_model: 'H100', gpu_count: 8, connectivity_tier: 'high', status: 'cluster_ready' })]);
    expect(await run.rows('tk_device_proofs')).toEqual([{ device_id: D1, qualified_at: new Date(t0 + 3 * HOUR_MS), disqualified_at: null }]);
    // Up from an hour before its qualification's two hours of uptime ended, down at 10:00, up again at 12:00.
    expect(await run.rows('tk_uptime')).toEqual([
      { device_id: D1, up_from: new Date(t0 + HOUR_MS), up_to: new Date(t0 + 10 * HOUR_MS) },
      { device_id: D1, up_from: new Date(t0 + 12 * HOUR_MS), up_to: null },
    ]);
    expect(await run.rows('tk_epoch_roots')).toEqual([{ epoch: '7', merkle_root: '010203', leaf_count: '9', transaction_signature: 'sig-7' }]);
  });
});
