import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

/** An expected refusal of an inventory command, with a stable code (mapped to problem+json at the edge). */
export class InventoryError extends CodedError {
  get kind(): ErrorKind {
    return kindOfReason(this.code);
  }

  constructor(
    readonly code: InventoryErrorCode,
    readonly detail: string,
    /** Structured detail for the caller, e.g. `violations: [{ field, message }]`. */
    readonly context: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'InventoryError';
  }
}

export type InventoryErrorCode =
  | 'SUPPLIER.ALREADY_EXISTS'
  | 'SUPPLIER.NOT_FOUND'
  | 'SUPPLIER.INVALID_NAME'
  | 'SUPPLIER.INVALID_WALLET'
  | 'SUPPLIER.INVALID_SOURCE'
  | 'SUPPLIER.INVALID_PARTNER_NETWORK'
  | 'SUPPLIER.PARTNER_NETWORK_REQUIRED'
  | 'SUPPLIER.PARTNER_NETWORK_UNEXPECTED'
  | 'DEVICE.ALREADY_EXISTS'
  | 'DEVICE.NOT_FOUND'
  | 'DEVICE.INVALID_SPEC'
  | 'DEVICE.INVALID_PRICE'
  | 'DEVICE.INVALID_AGENT_KEY'
  | 'DEVICE.INVALID_WALLET';
