export * from '../gen/ionet/governance/v1/events_pb';
export * from '../gen/ionet/governance/v1/types_pb';
