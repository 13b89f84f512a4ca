import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { v7 as uuidv7 } from 'uuid';
import { EventEnvelopeSchema, type EventEnvelope } from './gen/ionet/common/v1/envelope_pb';
import { CONTRACT_ERROR_CODES, ContractError } from './contract-error';

/** Kafka header names carried by every event message (the value is the EventEnvelope). */
export const EVENT_HEADERS = {
  eventType: 'ionet-event-type',
  eventId: 'ionet-event-id',
  schemaVersion: 'ionet-schema-version',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** The envelope with friendly types: bigint versions and positions, Date times. */
export interface EventMetadata {
  eventId: string;
  eventType: string;
  schemaVersion: number;
  aggregateType: string;
  aggregateId: string;
  aggregateVersion: bigint;
  occurredAt: Date;
  correlationId: string;
  causationId: string;
  producer: string;
  traceparent: string;
  tracestate: string;
  globalPosition: bigint;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A new UUIDv7 (time-ordered). For the edge only: domain code receives ids with its commands. */
export function newEventId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

export function encodeEnvelope(metadata: EventMetadata, payload: Uint8Array): Uint8Array {
  return toBinary(
    EventEnvelopeSchema,
    create(EventEnvelopeSchema, {
      eventId: metadata.eventId,
      eventType: metadata.eventType,
      schemaVersion: metadata.schemaVersion,
      aggregateType: metadata.aggregateType,
      aggregateId: metadata.aggregateId,
      aggregateVersion: metadata.aggregateVersion,
      occurredAt: timestampFromDate(metadata.occurredAt),
      correlationId: metadata.correlationId,
      causationId: metadata.causationId,
      producer: metadata.producer,
      traceparent: metadata.traceparent,
      tracestate: metadata.tracestate,
      payload,
      globalPosition: metadata.globalPosition,
    }),
  );
}

/** Decodes and checks an envelope; any defect is a ContractError (CONTRACT.BAD_ENVELOPE). */
export function decodeEnvelope(bytes: Uint8Array): { metadata: EventMetadata; payload: Uint8Array } {
  let envelope: EventEnvelope;
  try {
    envelope = fromBinary(EventEnvelopeSchema, bytes);
  } catch (err) {
    throw new ContractError(CONTRACT_ERROR_CODES.badEnvelope, `envelope is not decodable: ${(err as Error).message}`);
  }
  const problem = envelopeProblem(envelope);
  if (problem) throw new ContractError(CONTRACT_ERROR_CODES.badEnvelope, problem);
  return {
    metadata: {
      eventId: envelope.eventId,
      eventType: envelope.eventType,
      schemaVersion: envelope.schemaVersion,
      aggregateType: envelope.aggregateType,
      aggregateId: envelope.aggregateId,
      aggregateVersion: envelope.aggregateVersion,
      occurredAt: timestampDate(envelope.occurredAt!),
      correlationId: envelope.correlationId,
      causationId: envelope.causationId,
      producer: envelope.producer,
      traceparent: envelope.traceparent,
      tracestate: envelope.tracestate,
      globalPosition: envelope.globalPosition,
    },
    payload: envelope.payload,
  };
}

function envelopeProblem(envelope: EventEnvelope): string | undefined {
  if (!isUuid(envelope.eventId)) return `event_id "${envelope.eventId}" is not a UUID`;
  if (!envelope.eventType) return 'event_type is empty';
  if (envelope.schemaVersion < 1) return 'schema_version must be >= 1';
  if (!envelope.aggregateType || !envelope.aggregateId) return 'aggregate type and id are required';
  if (envelope.aggregateVersion < 1n) return 'aggregate_version must be >= 1';
  if (!envelope.occurredAt) return 'occurred_at is required';
  if (!envelope.producer) return 'producer is required';
  return undefined;
}
