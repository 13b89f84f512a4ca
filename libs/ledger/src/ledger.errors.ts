import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

export const LEDGER_ERROR_CODES = [
  'LEDGER.UNBALANCED',
  'LEDGER.ID_CONFLICT',
  'LEDGER.INSUFFICIENT_FUNDS',
  'LEDGER.CREDITS_EXCEED_DEBITS',
  'LEDGER.ACCOUNT_NOT_FOUND',
  'LEDGER.ACCOUNT_FLAGS_CONFLICT',
  'LEDGER.ACCOUNT_DEBITS_ONLY',
  'LEDGER.ACCOUNT_CREDITS_ONLY',
  'LEDGER.INVALID_ACCOUNT_NAME',
  'LEDGER.UNKNOWN_ASSET',
  'LEDGER.AMOUNT_NOT_POSITIVE',
  'LEDGER.TOO_FEW_LEGS',
  'LEDGER.TOO_MANY_LEGS',
  'LEDGER.SAME_ACCOUNT',
  'LEDGER.PENDING_NOT_FOUND',
  'LEDGER.PENDING_ALREADY_POSTED',
  'LEDGER.PENDING_ALREADY_VOIDED',
  'LEDGER.POST_EXCEEDS_PENDING',
  'LEDGER.LINKED_BATCH_EMPTY',
  'LEDGER.LINKED_BATCH_TOO_LARGE',
  'LEDGER.LINKED_PARTIAL_DUPLICATE',
  'LEDGER.INVALID_TIME',
  'LEDGER.INVALID_SIDE',
  'LEDGER.TIME_REGRESSED',
  'LEDGER.UNKNOWN_OPERATION',
] as const;

export type LedgerErrorCode = (typeof LEDGER_ERROR_CODES)[number];

/** An expected refusal: the operation was not applied and the ledger is unchanged. */
export class LedgerError extends CodedError {
  override readonly name = 'LedgerError';
  get kind(): ErrorKind {
    return kindOfReason(this.code);
  }


  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${message}`);
  }
}
