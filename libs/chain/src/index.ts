export * from './chain-gateway';
export * from './chain.errors';
export * from './chain.config';
export * from './swap/swap-adapter';
