import { Injectable } from '@nestjs/common';
import { EventStore, type ExpectedVersion, type NewEvent, type StoredEvent } from '@ionet/eventing';
import { evolveDevice, initialDeviceState, type DeviceState } from '../domain/device/device.decider';
import { evolveSupplier, initialSupplierState, type SupplierState } from '../domain/supplier/supplier.decider';
import { deviceEventFromStored, supplierEventFromStored } from '../infrastructure/messaging/inventory-event-codec';

export interface Loaded<S> {
  state: S;
  /** The stream's version: 0 when it has no events yet. */
  version: bigint;
  expectedVersion: ExpectedVersion;
}

/** Aggregates are their event streams: load = read + evolve; save = append at the loaded version. */
@Injectable()
export class InventoryStreams {
  constructor(private readonly store: EventStore) {}

  loadSupplier(supplierId: string): Promise<Loaded<SupplierState>> {
    return this.load(supplierId, supplierEventFromStored, evolveSupplier, initialSupplierState);
  }

  loadDevice(deviceId: string): Promise<Loaded<DeviceState>> {
    return this.load(deviceId, deviceEventFromStored, evolveDevice, initialDeviceState);
  }

  async append(streamType: 'supplier' | 'device', streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[], correlationId: string): Promise<void> {
    await this.store.append(undefined, { streamId, streamType, expectedVersion, events, correlationId, causationId: correlationId });
  }

  private async load<S, E>(streamId: string, decode: (stored: StoredEvent) => E, evolve: (state: S, event: E) => S, initial: S): Promise<Loaded<S>> {
    const events = await this.store.readStream(streamId);
    const version = events.length ? events[events.length - 1]!.metadata.aggregateVersion : 0n;
    return { state: events.map(decode).reduce(evolve, initial), version, expectedVersion: events.length ? version : 'no_stream' };
  }
}
