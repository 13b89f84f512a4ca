export * from './decider';
export * from './derived-id';
export * from './command-handler';
export * from './command-handlers';
export * from './event-codec';
