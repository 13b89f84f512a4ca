export * from '../gen/ionet/inventory/v1/events_pb';
export * from '../gen/ionet/inventory/v1/types_pb';
