export * from './keys';
export * from './request-signing';
export * from './heartbeat';
export * from './proof-of-work';
export * from './messages';
export * from './merkle';
