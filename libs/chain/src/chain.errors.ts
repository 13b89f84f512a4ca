import { CodedError, type ErrorKind } from '@ionet/errors';

export const CHAIN_ERROR_CODES = {
  /** The same operation id was used with different parameters. */
  OPERATION_CONFLICT: 'conflict',
  /** An operation id, address, custody name, amount or memo that cannot be sent. */
  INVALID_REQUEST: 'invalid',
  /** The source holds less than the amount (or the fee payer less than the fee). */
  INSUFFICIENT_FUNDS: 'refused',
  /** A mint would take the asset's supply past its cap (800M IO). */
  SUPPLY_CAP_EXCEEDED: 'refused',
  /** A swap's market price gives less than the caller's minimum. */
  SWAP_BELOW_MINIMUM: 'refused',
  /** The chain refused the transaction for another reason (the program's error is in the message). */
  TRANSACTION_FAILED: 'refused',
  /** The transaction was not confirmed before its blockhash expired; a retry sends a new attempt. */
  TRANSACTION_EXPIRED: 'fault',
  /** The chain could not be reached, or the embedded chain's files are unusable. */
  UNAVAILABLE: 'fault',
  /** Configuration that cannot work (a mint whose authority the gateway does not hold, ...). */
  MISCONFIGURED: 'fault',
} as const satisfies Record<string, ErrorKind>;

export type ChainErrorReason = keyof typeof CHAIN_ERROR_CODES;
export type ChainErrorCode = `CHAIN.${ChainErrorReason}`;

export class ChainError extends CodedError {
  readonly code: ChainErrorCode;
  readonly kind: ErrorKind;

  constructor(
    readonly reason: ChainErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = `CHAIN.${reason}`;
    this.kind = CHAIN_ERROR_CODES[reason];
  }
}
