export * from './connections';
export * from './postgres';
export * from './kafka';
export * from './wait-for';
export * from './service-app';
export * from './service-process';
export * from './decider-spec';
export * from './projection-spec-kit';
