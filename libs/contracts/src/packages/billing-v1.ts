export * from '../gen/ionet/billing/v1/events_pb';
export * from '../gen/ionet/billing/v1/types_pb';
