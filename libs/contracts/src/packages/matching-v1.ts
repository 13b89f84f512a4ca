export * from '../gen/ionet/matching/v1/events_pb';
export * from '../gen/ionet/matching/v1/types_pb';
