import { create, type DescMessage, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { inventoryV1, type EventMetadata } from '@ionet/contracts';
import type { ConsumedEvent } from '../consumer/consumer-runner';
import type { ProjectionContext } from '../replay/projection-manager';
import { defineProjection, on, onBatch, projectionDefinition } from './projection-spec';

const at = timestampFromDate(new Date('2026-12-01T10:00:00Z'));

function consumed<Desc extends DescMessage>(schema: Desc, n: number, data: MessageInitShape<Desc>): ConsumedEvent {
  const metadata = { eventId: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`, eventType: schema.typeName } as EventMetadata;
  return { event: create(schema, data) as Message, metadata } as unknown as ConsumedEvent;
}

describe('projection batch handlers', () => {
  const calls: string[] = [];
  const spec = defineProjection({
    name: 'spec',
    version: 1,
    consumerGroup: 'spec',
    contexts: ['inventory'],
    tables: [],
    handlers: [on(inventoryV1.DeviceListedSchema, async (e) => void calls.push(`listed ${e.deviceId}`))],
    batchHandlers: [
      onBatch([inventoryV1.DeviceUnlistedSchema, inventoryV1.DeviceWentOfflineSchema], async (events) => {
        calls.push(`batch ${events.map((e) => `${e.schema.name}:${(e.event as { deviceId: string }).deviceId}:${e.metadata.eventId.slice(-1)}`).join(',')}`);
      }),
    ],
  });

  it('runs the per-event handlers in order, then each batch handler once with its events in order', async () => {
    await projectionDefinition(spec).apply(
      [
        consumed(inventoryV1.DeviceUnlistedSchema, 1, { deviceId: 'a', supplierId: 's', unlistedAt: at }),
        consumed(inventoryV1.DeviceListedSchema, 2, { deviceId: 'b', supplierId: 's', listedAt: at }),
        consumed(inventoryV1.DeviceWentOfflineSchema, 3, { deviceId: 'c', supplierId: 's', lastSeenAt: at, detectedAt: at }),
        consumed(inventoryV1.DevicePriceSetSchema, 4, { deviceId: 'd', supplierId: 's' }),
        consumed(inventoryV1.DeviceListedSchema, 5, { deviceId: 'e', supplierId: 's', listedAt: at }),
      ],
      {} as ProjectionContext,
    );
    expect(calls).toEqual(['listed b', 'listed e', 'batch DeviceUnlisted:a:1,DeviceWentOffline:c:3']);
  });

  it('calls no batch handler for a batch without its types, and refuses a type handled twice', async () => {
    calls.length = 0;
    await projectionDefinition(spec).apply([consumed(inventoryV1.DeviceListedSchema, 6, { deviceId: 'f', supplierId: 's', listedAt: at })], {} as ProjectionContext);
    expect(calls).toEqual(['listed f']);
    expect(() =>
      defineProjection({ ...spec, batchHandlers: [onBatch([inventoryV1.DeviceListedSchema], async () => undefined)] }),
    ).toThrow('projection spec handles ionet.inventory.v1.DeviceListed twice');
  });
});
