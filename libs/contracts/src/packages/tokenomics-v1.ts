export * from '../gen/ionet/tokenomics/v1/events_pb';
export * from '../gen/ionet/tokenomics/v1/types_pb';
