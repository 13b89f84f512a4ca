import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

/** An expected refusal of the tokenomics service's edge or commands (problem+json at the edge).
 *  The staking rules' own refusals are @ionet/tokenomics's TokenomicsError. */
export class TokenomicsServiceError extends CodedError {
  readonly kind: ErrorKind;

  constructor(
    readonly code: TokenomicsServiceErrorCode,
    readonly detail: string,
    kind?: ErrorKind,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'TokenomicsServiceError';
    this.kind = kind ?? kindOfReason(code);
  }
}

export type TokenomicsServiceErrorCode =
  | 'EPOCH.NOT_FOUND'
  | 'EPOCH.INVALID'
  | 'EPOCH.NOT_CLOSED'
  | 'EPOCH.EMISSION_MISMATCH'
  | 'STAKE.NOT_FOUND'
  | 'STAKE.NOT_OWNER'
  | 'STAKE.DEVICE_NOT_FOUND'
  | 'STAKE.NO_WALLET'
  | 'STAKE.INVALID_AMOUNT'
  | 'COSTAKE.OFFER_NOT_FOUND'
  | 'SLASH.NOT_FOUND'
  | 'COSTAKE.INVALID_SHARE'
  | 'TOKENOMICS.QUERY_INVALID';
