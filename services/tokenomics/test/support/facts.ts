import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, commonV1, encodeSolanaAddress, inventoryV1 } from '@ionet/contracts';
import { sendFact } from '@ionet/testing';
import type { Producer } from 'kafkajs';
import { randomBytes, randomUUID } from 'node:crypto';

export const newWallet = () => encodeSolanaAddress(randomBytes(32));

/** A supplier of `tenantId` with one 8x H100 device, as inventory publishes them. */
export async function publishSupplierDevice(producer: Producer, topicPrefix: string, options: { tenantId: string; wallet: string; registeredAt: Date }): Promise<{ supplierId: string; deviceId: string }> {
  const supplierId = randomUUID();
  const deviceId = randomUUID();
  const ts = timestampFromDate(options.registeredAt);
  await sendFact(producer, topicPrefix, 'inventory', inventoryV1.SupplierRegisteredSchema, supplierId, {
    supplierId,
    displayName: 'Ridge Farm',
    source: commonV1.SupplySource.MINING_FARM,
    payoutWallet: options.wallet,
    registeredAt: ts,
    tenantId: options.tenantId,
  });
  await sendFact(producer, topicPrefix, 'inventory', inventoryV1.DeviceRegisteredSchema, deviceId, {
    deviceId,
    supplierId,
    agentPublicKey: newWallet(),
    deviceClass: commonV1.DeviceClass.GPU,
    gpu: { model: 'H100', vramMib: 81_920, count: 8 },
    cpuCores: 64,
    ramMib: 1_048_576,
    diskGib: 4_000,
    connectivityTier: commonV1.ConnectivityTier.HIGH,
    securityTier: commonV1.SecurityTier.SECURE,
    source: commonV1.SupplySource.MINING_FARM,
    askPricePerGpuHour: { amountBaseUnits: '1990000', asset: Asset.USDC },
    region: 'eu-central',
    countryCode: 'DE',
    registeredAt: ts,
    tenantId: options.tenantId,
  });
  return { supplierId, deviceId };
}
