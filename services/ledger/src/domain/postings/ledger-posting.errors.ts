import { CodedError } from '@ionet/errors';

export type LedgerPostingErrorCode = 'LEDGER.POSTING_UNBALANCED' | 'LEDGER.POSTING_INVALID_ACCOUNT' | 'LEDGER.POSTING_MIXED_ASSETS' | 'LEDGER.POSTING_NEGATIVE_AMOUNT' | 'LEDGER.POSTING_MISSING_FIELD';

/** A money event the ledger cannot book as it stands (amounts that do not add up, an id that cannot
 *  name an account): a broken contract, dead-lettered by the consumer, never retried. */
export class LedgerPostingError extends CodedError {
  readonly kind = 'invalid';

  constructor(
    readonly code: LedgerPostingErrorCode,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}
