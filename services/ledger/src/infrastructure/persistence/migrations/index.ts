import { EVENTING_MIGRATIONS } from '@ionet/eventing';

/** In order; a committed migration is never edited, only followed by a new one. The ledger's tables
 *  are the projection's (installed and rebuilt by the eventing kit); the event store holds its
 *  process managers' decisions. */
export const LEDGER_MIGRATIONS = [...EVENTING_MIGRATIONS];
