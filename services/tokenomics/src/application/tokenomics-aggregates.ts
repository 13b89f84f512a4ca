import { defineAggregate } from '@ionet/eventing';
import { decideEpoch, evolveEpoch, initialEpochState } from '../domain/epoch/epoch.decider';
import { epochEventCodec } from '../infrastructure/messaging/epoch-event-codec';

/** Tokenomics' registrations with the kit's command handler. */
export const epochAggregate = defineAggregate({
  streamType: 'epoch',
  decider: { decide: decideEpoch, evolve: evolveEpoch, initialState: initialEpochState },
  codec: epochEventCodec,
});
