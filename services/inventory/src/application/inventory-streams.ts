import { Injectable } from '@nestjs/common';
import { EventStore, type ExpectedVersion, type NewEvent } from '@ionet/eventing';
import { evolveDevice, initialDeviceState, type DeviceState } from '../domain/device/device.decider';
import { evolveSupplier, initialSupplierState, type SupplierState } from '../domain/supplier/supplier.decider';
import { deviceEventFromStored, supplierEventFromStored } from '../infrastructure/messaging/inventory-event-codec';

export interface Loaded<S> {
  state: S;
  expectedVersion: ExpectedVersion;
}

/** Aggregates are their event streams: load = read + evolve; save = append at the loaded version. */
@Injectable()
export class InventoryStreams {
  constructor(private readonly store: EventStore) {}

  async loadSupplier(supplierId: string): Promise<Loaded<SupplierState>> {
    const events = await this.store.readStream(supplierId);
    return {
      state: events.map(supplierEventFromStored).reduce(evolveSupplier, initialSupplierState),
      expectedVersion: events.length ? events[events.length - 1]!.metadata.aggregateVersion : 'no_stream',
    };
  }

  async loadDevice(deviceId: string): Promise<Loaded<DeviceState>> {
    const events = await this.store.readStream(deviceId);
    return {
      state: events.map(deviceEventFromStored).reduce(evolveDevice, initialDeviceState),
      expectedVersion: events.length ? events[events.length - 1]!.metadata.aggregateVersion : 'no_stream',
    };
  }

  async append(streamType: 'supplier' | 'device', streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[], correlationId: string): Promise<void> {
    await this.store.append(undefined, { streamId, streamType, expectedVersion, events, correlationId, causationId: correlationId });
  }
}
