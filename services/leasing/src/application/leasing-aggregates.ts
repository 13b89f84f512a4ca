import { defineAggregate } from '@ionet/eventing';
import { decideLease, evolveLease, initialLeaseState } from '../domain/lease.decider';
import { leaseEventCodec } from '../infrastructure/messaging/lease-event-codec';

/** Leasing's registration with the kit's command handler: one stream per lease. */
export const leaseAggregate = defineAggregate({
  streamType: 'lease',
  decider: { decide: decideLease, evolve: evolveLease, initialState: initialLeaseState },
  codec: leaseEventCodec,
});
