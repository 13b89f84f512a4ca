import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { MatchingReservations1764590400000 } from './1764590400000-matching-reservations';

/** In order; a committed migration is never edited, only followed by a new one. */
export const MATCHING_MIGRATIONS = [...EVENTING_MIGRATIONS, MatchingReservations1764590400000];
