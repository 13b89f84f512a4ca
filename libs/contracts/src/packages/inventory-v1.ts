export * from '../gen/ionet/inventory/v1/events_pb';
