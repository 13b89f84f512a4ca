export * from '../gen/ionet/verification/v1/events_pb';
