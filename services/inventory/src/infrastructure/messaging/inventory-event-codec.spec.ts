import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { create, fromBinary, toBinary, type Message } from '@bufbuild/protobuf';
import { ContractError, EventRegistry, assertEventContract, commonV1, inventoryV1 } from '@ionet/contracts';
import type { EventCodec } from '@ionet/eventing';
import type { DeviceEvent } from '../../domain/device/device.decider';
import type { SupplierEvent } from '../../domain/supplier/supplier.decider';
import { deviceEventCodec, supplierEventCodec } from './inventory-event-codec';

const registry = EventRegistry.catalogue();
const at = new Date('2026-11-25T12:00:00.123Z');

/** Encode, check the contract, write the bytes, read them back and decode: what a stream load does. */
function roundTrip<E>(codec: EventCodec<E>, event: E): E {
  const wire = codec.encode(event);
  const message = create(wire.schema, wire.data);
  assertEventContract(wire.schema, message);
  const type = registry.require(wire.schema.typeName).type;
  return codec.decode(fromBinary(wire.schema, toBinary(wire.schema, message)) as Message, type);
}

describe('inventory event codec', () => {
  it('round-trips a supplier registration through protobuf, satisfying the contract', () => {
    const event: SupplierEvent = { type: 'SupplierRegistered', supplierId: 's-1', tenantId: 't-1', name: 'Pool', source: 'partner_network', partnerNetwork: 'render', payoutWallet: null, at };
    expect(roundTrip(supplierEventCodec, event)).toEqual(event);
  });

  it('round-trips GPU and CPU device registrations and a price change, amounts exact past 2^53', () => {
    const gpu: Extract<DeviceEvent, { type: 'DeviceRegistered' }> = {
      type: 'DeviceRegistered',
      deviceId: 'd-1',
      supplierId: 's-1',
      tenantId: 't-1',
      agentPublicKey: 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
      spec: { deviceClass: 'gpu', gpu: { model: 'RTX 4090', vramMib: 24_576, count: 2 }, cpuCores: 16, ramMib: 65_536, diskGib: 2_000, countryCode: 'US', region: 'us-west', connectivityTier: 'high', securityTier: 'standard' },
      source: 'individual',
      askPricePerGpuHour: { amountBaseUnits: 9_007_199_254_740_993n, asset: 'USDC' },
      payoutWallet: '11111111111111111111111111111111',
      simulated: true,
      enrollmentTokenId: '0193a000-0000-7000-8000-000000000001',
      partner: null,
      agent: { gpuUuids: ['GPU-1', 'GPU-2'], reportedGpuModel: 'NVIDIA GeForce RTX 4090', hostname: 'rig-1', agentVersion: '0.1.0' },
      statusReason: 'pending: waiting for verification',
      at,
    };
    const cpu: DeviceEvent = { ...gpu, deviceId: 'd-2', spec: { ...gpu.spec, deviceClass: 'cpu', gpu: null } };
    const price: DeviceEvent = { type: 'DevicePriceSet', deviceId: 'd-1', supplierId: 's-1', askPricePerGpuHour: { amountBaseUnits: 450_000n, asset: 'USDC' }, at };
    for (const event of [gpu, cpu, price]) expect(roundTrip(deviceEventCodec, event)).toEqual(event);
  });

  it('refuses an enum value this build does not know with a contract error (dead-lettered, never retried)', () => {
    const registered = create(inventoryV1.SupplierRegisteredSchema, { supplierId: 's', tenantId: 't', displayName: 'x', source: 99 as commonV1.SupplySource, registeredAt: timestampFromDate(at) });
    expect(() => supplierEventCodec.decode(registered, 'ionet.inventory.v1.SupplierRegistered')).toThrow(ContractError);
    expect(() => supplierEventCodec.decode(registered, 'ionet.inventory.v1.SupplierRegistered')).toThrow(/SupplySource value 99/);
  });
});
