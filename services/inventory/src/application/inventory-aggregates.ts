import { defineAggregate } from '@ionet/eventing';
import { decideDevice, evolveDevice, initialDeviceState } from '../domain/device/device.decider';
import { decideSupplier, evolveSupplier, initialSupplierState } from '../domain/supplier/supplier.decider';
import { decideEnrollmentToken, evolveEnrollmentToken, initialEnrollmentTokenState } from '../domain/enrollment/enrollment-token.decider';
import { deviceEventCodec, enrollmentTokenEventCodec, supplierEventCodec } from '../infrastructure/messaging/inventory-event-codec';

/** Inventory's registrations with the kit's command handler: a new aggregate is one more entry. */
export const supplierAggregate = defineAggregate({
  streamType: 'supplier',
  decider: { decide: decideSupplier, evolve: evolveSupplier, initialState: initialSupplierState },
  codec: supplierEventCodec,
});

export const deviceAggregate = defineAggregate({
  streamType: 'device',
  decider: { decide: decideDevice, evolve: evolveDevice, initialState: initialDeviceState },
  codec: deviceEventCodec,
});

export const enrollmentTokenAggregate = defineAggregate({
  streamType: 'enrollment-token',
  decider: { decide: decideEnrollmentToken, evolve: evolveEnrollmentToken, initialState: initialEnrollmentTokenState },
  codec: enrollmentTokenEventCodec,
});
