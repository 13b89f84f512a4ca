import { CodedError } from '@ionet/errors';

/** Stable codes of the ways a message can break its contract. A consumer dead-letters a message
 *  that fails with one of these instead of retrying it: retrying cannot fix bytes. */
export const CONTRACT_ERROR_CODES = {
  badEnvelope: 'CONTRACT.BAD_ENVELOPE',
  unknownEventType: 'CONTRACT.UNKNOWN_EVENT_TYPE',
  undecodablePayload: 'CONTRACT.UNDECODABLE_PAYLOAD',
  missingField: 'CONTRACT.MISSING_FIELD',
  invalidMoney: 'CONTRACT.INVALID_MONEY',
  unsupportedSchemaVersion: 'CONTRACT.UNSUPPORTED_SCHEMA_VERSION',
  violation: 'CONTRACT.VIOLATION',
} as const;

export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[keyof typeof CONTRACT_ERROR_CODES];

export class ContractError extends CodedError {
  override readonly name = 'ContractError';
  /** Bytes that break their contract: a fault of the producer, dead-lettered by a consumer. */
  readonly kind = 'fault';
  constructor(
    readonly code: ContractErrorCode | string,
    message: string,
  ) {
    super(message);
  }
}
