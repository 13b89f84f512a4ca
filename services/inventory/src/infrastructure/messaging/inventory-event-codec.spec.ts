import { create, toBinary } from '@bufbuild/protobuf';
import { EventRegistry, assertEventContract, type EventMetadata } from '@ionet/contracts';
import type { NewEvent, StoredEvent } from '@ionet/eventing';
import type { DeviceEvent } from '../../domain/device/device.decider';
import type { SupplierEvent } from '../../domain/supplier/supplier.decider';
import { deviceEventFromStored, deviceEventToWire, supplierEventFromStored, supplierEventToWire } from './inventory-event-codec';

const registry = EventRegistry.catalogue();
const at = new Date('2026-11-25T12:00:00.123Z');

/** What the event store would hand back after appending the event: its bytes and type. */
function stored(event: NewEvent): StoredEvent {
  const message = create(event.schema, event.data);
  assertEventContract(event.schema, message);
  const type = registry.require(event.schema.typeName).type;
  return {
    metadata: { eventType: type, aggregateVersion: 1n } as EventMetadata,
    payload: toBinary(event.schema, message),
    transactionId: 1n,
    position: 1n,
  };
}

describe('inventory event codec', () => {
  it('round-trips a supplier registration through protobuf, satisfying the contract', () => {
    const event: SupplierEvent = { type: 'SupplierRegistered', supplierId: 's-1', tenantId: 't-1', name: 'Pool', source: 'partner_network', partnerNetwork: 'render', payoutWallet: null, at };
    expect(supplierEventFromStored(stored(supplierEventToWire(event)))).toEqual(event);
  });

  it('round-trips GPU and CPU device registrations and a price change, amounts exact past 2^53', () => {
    const gpu: DeviceEvent = {
      type: 'DeviceRegistered',
      deviceId: 'd-1',
      supplierId: 's-1',
      tenantId: 't-1',
      agentPublicKey: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
      spec: { deviceClass: 'gpu', gpu: { model: 'RTX 4090', vramMib: 24_576, count: 2 }, cpuCores: 16, ramMib: 65_536, diskGib: 2_000, countryCode: 'US', region: 'us-west', connectivityTier: 'high', securityTier: 'standard' },
      source: 'individual',
      askPricePerGpuHour: { amountBaseUnits: 9_007_199_254_740_993n, asset: 'USDC' },
      payoutWallet: '11111111111111111111111111111111',
      at,
    };
    const cpu: DeviceEvent = { ...gpu, deviceId: 'd-2', spec: { ...gpu.spec, deviceClass: 'cpu', gpu: null } };
    const price: DeviceEvent = { type: 'DevicePriceSet', deviceId: 'd-1', supplierId: 's-1', askPricePerGpuHour: { amountBaseUnits: 450_000n, asset: 'USDC' }, at };
    for (const event of [gpu, cpu, price]) expect(deviceEventFromStored(stored(deviceEventToWire(event)))).toEqual(event);
  });
});
