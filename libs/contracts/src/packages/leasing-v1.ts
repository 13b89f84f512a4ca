export * from '../gen/ionet/leasing/v1/events_pb';
export * from '../gen/ionet/leasing/v1/types_pb';
