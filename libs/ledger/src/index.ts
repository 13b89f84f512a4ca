export * from './assets';
export * from './account-names';
export * from './ledger.errors';
export * from './ledger';
export * from './canonical-json';
