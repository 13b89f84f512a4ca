export * from './prng';
export * from './economy.simulation';
export * from './seed-range';
