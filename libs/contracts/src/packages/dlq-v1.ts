export * from '../gen/ionet/dlq/v1/dead_letter_pb';
