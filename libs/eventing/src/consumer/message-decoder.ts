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
    const raw = upcasters && upcasters.size > 0 ? upcasters.upcast({ eventType, schemaVersion: metadata.schemaVersion, payload }) : { eventType, schemaVersion: metadata.schemaVersion, payload };
    const type = registry.require(raw.eventType);
    if (raw.schemaVersion !== type.schemaVersion) {
      throw new ContractError(CONTRACT_ERROR_CODES.unsupportedSchemaVersion, `${raw.eventType} schema version ${raw.schemaVersion} has no upcaster to ${type.schemaVersion}`);
    }
    let event: Message;
    try {
      event = fromBinary(type.schema, raw.payload);
    } catch (err) {
      throw new ContractError(CONTRACT_ERROR_CODES.undecodablePayload, `${raw.eventType} payload is not decodable: ${(err as Error).message}`);
    }
    const problem = eventContractProblem(type.schema, event);
    if (problem) throw new ContractError(problem.code, problem.message);
    return { ok: true, decoded: { event, metadata: { ...metadata, eventType: raw.eventType, schemaVersion: raw.schemaVersion }, type } };
  } catch (err) {
    if (err instanceof ContractError) return { ok: false, code: err.code, message: err.message, eventType, eventId };
    throw err;
  }
}
