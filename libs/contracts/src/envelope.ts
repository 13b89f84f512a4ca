import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { v7 as uuidv7 } from 'uuid';
import { EventEnvelopeSchema } from './gen/ionet/common/v1/envelope_pb';
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


/** A new UUIDv7 (time-ordered). For the edge only: domain code receives ids with its commands. */
export function newEventId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  if (value.length !== 36) return false;
  // /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ without the regex engine.
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
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

/** Decodes and checks an envelope; any defect is a ContractError (CONTRACT.BAD_ENVELOPE).
 *  Reads the wire format directly (ADR 0208): same results as `fromBinary(EventEnvelopeSchema)`
 *  (last value wins, a repeated occurred_at merges, unknown fields are skipped, strings are
 *  UTF-8-checked like the generated decoder), without the reflective message in between. */
export function decodeEnvelope(bytes: Uint8Array): { metadata: EventMetadata; payload: Uint8Array } {
  let envelope: RawEnvelope;
  try {
    envelope = readEnvelope(bytes);
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
      occurredAt: new Date(Number(envelope.occurredAtSeconds) * 1000 + Math.round(envelope.occurredAtNanos / 1_000_000)),
      correlationId: envelope.correlationId,
      causationId: envelope.causationId,
      producer: envelope.producer,
      traceparent: envelope.traceparent,
      tracestate: envelope.tracestate,
      globalPosition: envelope.globalPosition,
    },
    payload: envelope.payload ?? new Uint8Array(0),
  };
}

interface RawEnvelope {
  eventId: string;
  eventType: string;
  schemaVersion: number;
  aggregateType: string;
  aggregateId: string;
  aggregateVersion: bigint;
  hasOccurredAt: boolean;
  occurredAtSeconds: bigint;
  occurredAtNanos: number;
  correlationId: string;
  causationId: string;
  producer: string;
  traceparent: string;
  tracestate: string;
  payload: Uint8Array | undefined;
  globalPosition: bigint;
}

/** Whether the generated decoder rejects invalid UTF-8 in the envelope's strings (proto3: yes). */
const STRICT_UTF8 = EventEnvelopeSchema.fields.some((f) => f.fieldKind === 'scalar' && f.utf8Validation);

/** The wire reader behind decodeEnvelope; mirrors the compiled reader of protobuf-es 2 field by
 *  field (it reads a known field by its declared type, whatever the wire type says). */
function readEnvelope(bytes: Uint8Array): RawEnvelope {
  const reader = new BinaryReader(bytes);
  const strict = STRICT_UTF8;
  const e: RawEnvelope = {
    eventId: '',
    eventType: '',
    schemaVersion: 0,
    aggregateType: '',
    aggregateId: '',
    aggregateVersion: 0n,
    hasOccurredAt: false,
    occurredAtSeconds: 0n,
    occurredAtNanos: 0,
    correlationId: '',
    causationId: '',
    producer: '',
    traceparent: '',
    tracestate: '',
    payload: undefined,
    globalPosition: 0n,
  };
  const end = bytes.byteLength;
  while (reader.pos < end) {
    const [fieldNo, wireType] = reader.tag();
    switch (fieldNo) {
      case 1: e.eventId = reader.string(strict); break;
      case 2: e.eventType = reader.string(strict); break;
      case 3: e.schemaVersion = reader.uint32(); break;
      case 4: e.aggregateType = reader.string(strict); break;
      case 5: e.aggregateId = reader.string(strict); break;
      case 6: e.aggregateVersion = reader.uint64() as bigint; break;
      case 7: {
        // google.protobuf.Timestamp; a second occurrence merges into the first.
        e.hasOccurredAt = true;
        const tsEnd = reader.uint32() + reader.pos;
        while (reader.pos < tsEnd) {
          const [tsField, tsWire] = reader.tag();
          if (tsField === 1) e.occurredAtSeconds = reader.int64() as bigint;
          else if (tsField === 2) e.occurredAtNanos = reader.int32();
          else reader.skip(tsWire, tsField);
        }
        break;
      }
      case 8: e.correlationId = reader.string(strict); break;
      case 9: e.causationId = reader.string(strict); break;
      case 10: e.producer = reader.string(strict); break;
      case 11: e.traceparent = reader.string(strict); break;
      case 12: e.tracestate = reader.string(strict); break;
      case 13: e.payload = reader.bytes(); break;
      case 14: e.globalPosition = reader.uint64() as bigint; break;
      default: reader.skip(wireType, fieldNo);
    }
  }
  return e;
}

function envelopeProblem(envelope: RawEnvelope): string | undefined {
  if (!isUuid(envelope.eventId)) return `event_id "${envelope.eventId}" is not a UUID`;
  if (!envelope.eventType) return 'event_type is empty';
  if (envelope.schemaVersion < 1) return 'schema_version must be >= 1';
  if (!envelope.aggregateType || !envelope.aggregateId) return 'aggregate type and id are required';
  if (envelope.aggregateVersion < 1n) return 'aggregate_version must be >= 1';
  if (!envelope.hasOccurredAt) return 'occurred_at is required';
  if (!envelope.producer) return 'producer is required';
  return undefined;
}
