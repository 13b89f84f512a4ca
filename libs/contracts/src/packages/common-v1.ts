export * from '../gen/ionet/common/v1/device_pb';
export * from '../gen/ionet/common/v1/envelope_pb';
export * from '../gen/ionet/common/v1/money_pb';
