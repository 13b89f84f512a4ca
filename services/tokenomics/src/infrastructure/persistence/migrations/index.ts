import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { TokenomicsChainTables1765324800000 } from '../../../chain/chain-tables.migration';
import { TokenomicsTables1765238400000 } from './1765238400000-tokenomics-tables';
import { DeviceStakes1765238400001 } from './1765238400001-device-stakes';
import { StakingViews1765238400002 } from './1765238400002-staking-views';
import { Slashes1765238400003 } from './1765238400003-slashes';

/** In order; a committed migration is never edited, only followed by a new one. */
export const TOKENOMICS_MIGRATIONS = [...EVENTING_MIGRATIONS, TokenomicsTables1765238400000, DeviceStakes1765238400001, StakingViews1765238400002, Slashes1765238400003, TokenomicsChainTables1765324800000];
