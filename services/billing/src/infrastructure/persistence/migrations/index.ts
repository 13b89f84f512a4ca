import { EVENTING_MIGRATIONS } from '@ionet/eventing';

/** In order; a committed migration is never edited, only followed by a new one. Billing's state is
 *  its event streams (organizations, API keys): the event store is all it needs so far. */
export const BILLING_MIGRATIONS = [...EVENTING_MIGRATIONS];
