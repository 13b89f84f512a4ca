import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { TokenomicsChainTables1765324800000 } from '../../../chain/chain-tables.migration';
import { TokenomicsTables1765238400000 } from './1765238400000-tokenomics-tables';

/** In order; a committed migration is never edited, only followed by a new one. */
export const TOKENOMICS_MIGRATIONS = [...EVENTING_MIGRATIONS, TokenomicsTables1765238400000, TokenomicsChainTables1765324800000];
