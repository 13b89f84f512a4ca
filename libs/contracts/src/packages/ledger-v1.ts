export * from '../gen/ionet/ledger/v1/queries_pb';
