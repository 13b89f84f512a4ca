import { fromBinary, type Message } from '@bufbuild/protobuf';
import type { KafkaMessage } from 'kafkajs';
import { CONTRACT_ERROR_CODES, ContractError, decodeEnvelope, eventContractProblem, type EventMetadata, type EventRegistry, type EventTypeInfo } from '@ionet/contracts';
import type { UpcasterRegistry } from './upcaster-registry';

export interface DecodedEvent<T extends Message = Message> {
  event: T;
  metadata: EventMetadata;
  type: EventTypeInfo;
}

export type DecodeResult = { ok: true; decoded: DecodedEvent } | { ok: false; code: string; message: string; eventType: string; eventId: string };

/** Envelope -> upcast -> registry -> payload -> the catalogue's field rules. Pure: every failure
 *  is a contract failure (the bytes are wrong, retrying cannot help). */
export function decodeKafkaMessage(message: Pick<KafkaMessage, 'value'>, registry: EventRegistry, upcasters?: UpcasterRegistry): DecodeResult {
  let eventType = '';
  let eventId = '';
  try {
    if (!message.value) throw new ContractError(CONTRACT_ERROR_CODES.badEnvelope, 'message has no value');
    const { metadata, payload } = decodeEnvelope(message.value);
    eventType = metadata.eventType;
    eventId = metadata.eventId;
    let rawType = eventType;
    let rawVersion = metadata.schemaVersion;
    let rawPayload = payload;
    if (upcasters && upcasters.size > 0) {
      const raw = upcasters.upcast({ eventType, schemaVersion: metadata.schemaVersion, payload });
      rawType = raw.eventType;
      rawVersion = raw.schemaVersion;
      rawPayload = raw.payload;
    }
    const type = registry.require(rawType);
    if (rawVersion !== type.schemaVersion) {
      throw new ContractError(CONTRACT_ERROR_CODES.unsupportedSchemaVersion, `${rawType} schema version ${rawVersion} has no upcaster to ${type.schemaVersion}`);
    }
    let event: Message;
    try {
      event = fromBinary(type.schema, rawPayload);
    } catch (err) {
      throw new ContractError(CONTRACT_ERROR_CODES.undecodablePayload, `${rawType} payload is not decodable: ${(err as Error).message}`);
    }
    const problem = eventContractProblem(type.schema, event);
    if (problem) throw new ContractError(problem.code, problem.message);
    // decodeEnvelope returns a fresh metadata object: updated in place when an upcaster lifted it.
    metadata.eventType = rawType;
    metadata.schemaVersion = rawVersion;
    return { ok: true, decoded: { event, metadata, type } };
  } catch (err) {
    if (err instanceof ContractError) return { ok: false, code: err.code, message: err.message, eventType, eventId };
    throw err;
  }
}
