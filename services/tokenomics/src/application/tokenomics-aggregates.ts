import { defineAggregate } from '@ionet/eventing';
import { decideEpoch, evolveEpoch, initialEpochState } from '../domain/epoch/epoch.decider';
import { decideStakingBook, evolveStakingBook, initialStakingBookState } from '../domain/staking/staking-book.decider';
import { epochEventCodec } from '../infrastructure/messaging/epoch-event-codec';
import { stakingEventCodec } from '../infrastructure/messaging/staking-event-codec';

/** Tokenomics' registrations with the kit's command handler. */
export const epochAggregate = defineAggregate({
  streamType: 'epoch',
  decider: { decide: decideEpoch, evolve: evolveEpoch, initialState: initialEpochState },
  codec: epochEventCodec,
});

export const stakingBookAggregate = defineAggregate({
  streamType: 'staking_book',
  decider: { decide: decideStakingBook, evolve: evolveStakingBook, initialState: initialStakingBookState },
  codec: stakingEventCodec,
});
