import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { LeasingTables1764590000000 } from './1764590000000-leasing-tables';

/** In order; a committed migration is never edited, only followed by a new one. */
export const LEASING_MIGRATIONS = [...EVENTING_MIGRATIONS, LeasingTables1764590000000];
