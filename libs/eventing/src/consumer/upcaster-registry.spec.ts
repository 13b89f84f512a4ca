import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Asset, EventRegistry, encodeEnvelope, inventoryV1, money, newEventId } from '@ionet/contracts';
import { UpcasterRegistry } from './upcaster-registry';
import { decodeKafkaMessage } from './message-decoder';

/** Version 1 of DevicePriceSet (a JSON payload with a float dollar price, before the contract
 *  moved to protobuf Money): the upcaster turns it into today's version 2 shape. */
const priceSetV1ToV2 = {
  eventType: 'ionet.inventory.v1.DevicePriceSet',
  fromSchemaVersion: 1,
  upcast: (event: { eventType: string; schemaVersion: number; payload: Uint8Array }) => {
    const v1 = JSON.parse(Buffer.from(event.payload).toString('utf8')) as { device: string; supplier: string; usdPerHour: string; at: string };
    const [whole, fraction = ''] = v1.usdPerHour.split('.');
    const micros = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
    const v2 = create(inventoryV1.DevicePriceSetSchema, {
      deviceId: v1.device,
      supplierId: v1.supplier,
      askPricePerGpuHour: money(micros, Asset.USDC),
      setAt: timestampFromDate(new Date(v1.at)),
    });
    return { eventType: event.eventType, schemaVersion: 2, payload: toBinary(inventoryV1.DevicePriceSetSchema, v2) };
  },
};

function envelope(schemaVersion: number, payload: Uint8Array) {
  return Buffer.from(
    encodeEnvelope(
      {
        eventId: newEventId(), eventType: 'ionet.inventory.v1.DevicePriceSet', schemaVersion, aggregateType: 'device', aggregateId: 'dev-7',
        aggregateVersion: 2n, occurredAt: new Date('2026-01-01T00:00:00Z'), correlationId: '', causationId: '', producer: 'inventory',
        traceparent: '', tracestate: '', globalPosition: 1n,
      },
      payload,
    ),
  );
}

describe('upcasting on read', () => {
  const registry = new EventRegistry().register('inventory', inventoryV1.DevicePriceSetSchema, 2);
  const upcasters = new UpcasterRegistry().register(priceSetV1ToV2);
  const v1Payload = Buffer.from(JSON.stringify({ device: 'dev-7', supplier: 'sup-1', usdPerHour: '2.35', at: '2026-01-01T00:00:00Z' }));

  it('turns a stored v1 event into the current v2 message', () => {
    const result = decodeKafkaMessage({ value: envelope(1, v1Payload) }, registry, upcasters);
    if (!result.ok) throw new Error(result.message);
    expect(result.decoded.metadata.schemaVersion).toBe(2);
    const event = result.decoded.event as inventoryV1.DevicePriceSet;
    expect(event.askPricePerGpuHour).toMatchObject({ amountBaseUnits: '2350000', asset: Asset.USDC });
    expect(event.deviceId).toBe('dev-7');
  });

  it('passes a current v2 event through untouched', () => {
    const v2 = toBinary(inventoryV1.DevicePriceSetSchema, create(inventoryV1.DevicePriceSetSchema, { deviceId: 'd', supplierId: 's', askPricePerGpuHour: money(5n, Asset.USDC), setAt: timestampFromDate(new Date()) }));
    const result = decodeKafkaMessage({ value: envelope(2, v2) }, registry, upcasters);
    expect(result.ok).toBe(true);
  });

  it('reports a version nobody can upcast as a contract failure, not an exception', () => {
    const result = decodeKafkaMessage({ value: envelope(1, v1Payload) }, registry, new UpcasterRegistry());
    expect(result).toMatchObject({ ok: false, code: 'CONTRACT.UNSUPPORTED_SCHEMA_VERSION' });
  });

  it('refuses an upcaster that does not advance, and a duplicate registration', () => {
    const stuck = new UpcasterRegistry().register({ eventType: 't', fromSchemaVersion: 1, upcast: (e) => e });
    expect(() => stuck.upcast({ eventType: 't', schemaVersion: 1, payload: new Uint8Array() })).toThrow(/did not advance/);
    expect(() => new UpcasterRegistry().register(priceSetV1ToV2).register(priceSetV1ToV2)).toThrow(/already registered/);
  });
});
