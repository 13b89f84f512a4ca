export * from '../gen/ionet/webhooks/v1/events_pb';
