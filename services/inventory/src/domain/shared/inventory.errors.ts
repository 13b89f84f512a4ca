import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

/** An expected refusal of an inventory command, with a stable code (mapped to problem+json at the edge). */
export class InventoryError extends CodedError {
  get kind(): ErrorKind {
    return CODE_KINDS[this.code] ?? kindOfReason(this.code);
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
  | 'DEVICE.INVALID_WALLET'
  | 'DEVICE.INVALID_EXTERNAL_ID'
  | 'DEVICE.AGENT_ALREADY_ATTACHED'
  | 'DEVICE.BLOCKED'
  | 'DEVICE.LEASED'
  | 'INVENTORY.ENROLLMENT_TOKEN_ALREADY_EXISTS'
  | 'INVENTORY.ENROLLMENT_TOKEN_NOT_FOUND'
  | 'INVENTORY.ENROLLMENT_TOKEN_USED'
  | 'INVENTORY.ENROLLMENT_TOKEN_EXPIRED'
  | 'INVENTORY.INVALID_ENROLLMENT_TOKEN_TTL'
  | 'INVENTORY.SIMULATED_DEVICES_NOT_ALLOWED'
  | 'INVENTORY.MIXED_GPU_MODELS'
  | 'INVENTORY.SPEC_MISMATCH';

/** Codes whose kind their reason does not name. ENROLLMENT_TOKEN_EXPIRED is answered 410 by the
 *  enrollment edge (a kind has no "gone"); as a domain error it is a refusal. */
const CODE_KINDS: Partial<Record<InventoryErrorCode, ErrorKind>> = {
  'DEVICE.AGENT_ALREADY_ATTACHED': 'conflict',
  'DEVICE.LEASED': 'conflict',
  'INVENTORY.ENROLLMENT_TOKEN_USED': 'conflict',
  'INVENTORY.INVALID_ENROLLMENT_TOKEN_TTL': 'invalid',
};
