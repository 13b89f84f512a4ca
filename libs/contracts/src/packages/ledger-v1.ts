export * from '../gen/ionet/ledger/v1/queries_pb';
export * from '../gen/ionet/ledger/v1/events_pb';
