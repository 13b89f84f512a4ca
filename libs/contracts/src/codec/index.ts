export * from './enum-codec';
export * from './message-codec';
