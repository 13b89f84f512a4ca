import { ChainExecutor } from './chain-executor';
import { ChainRuntime } from './chain-runtime';
import { TokenSupplyController } from './token-supply.controller';

export { chainDecisionsProjection } from './chain-decisions.projection';
export { CHAIN_JOBS, chainSchedules } from './chain.jobs';
export { tokenomicsChainConfigSchema } from './chain.config';
export { TokenomicsChainTables1765324800000 } from './chain-tables.migration';
export { ChainExecutor, ChainRuntime };

/** The chain's providers (the application module exports them to the jobs) and its controller. */
export const CHAIN_PROVIDERS = [ChainRuntime, ChainExecutor];
export const CHAIN_CONTROLLERS = [TokenSupplyController];
