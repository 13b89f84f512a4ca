import { defineAggregate } from '@ionet/eventing';
import { quoteDecider } from '../domain/quote.decider';
import { quoteEventCodec } from '../infrastructure/messaging/quote-event-codec';

export const quoteAggregate = defineAggregate({ streamType: 'quote', decider: quoteDecider, codec: quoteEventCodec });
