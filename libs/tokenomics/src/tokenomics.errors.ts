import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

export const TOKENOMICS_ERROR_CODES = [
  'STAKE.DEVICE_EXISTS',
  'STAKE.DEVICE_NOT_FOUND',
  'STAKE.INVALID_DEVICE',
  'STAKE.NOT_OWNER',
  'STAKE.AMOUNT_NOT_POSITIVE',
  'STAKE.BELOW_MINIMUM',
  'STAKE.INSUFFICIENT_STAKE',
  'STAKE.LEASED',
  'STAKE.UNSTAKE_EXISTS',
  'STAKE.UNSTAKE_NOT_FOUND',
  'STAKE.COOLDOWN_ACTIVE',
  'STAKE.ALREADY_WITHDRAWN',
  'STAKE.INVALID_TIME',
  'COSTAKE.OFFER_EXISTS',
  'COSTAKE.OFFER_NOT_FOUND',
  'COSTAKE.DEVICE_HAS_OFFER',
  'COSTAKE.INVALID_SHARE',
  'COSTAKE.OVER_HALF',
  'COSTAKE.OFFER_NOT_OPEN',
  'COSTAKE.OFFER_TAKEN',
  'COSTAKE.OWN_DEVICE',
  'COSTAKE.CLAIM_LIMIT',
  'COSTAKE.NOT_CO_STAKER',
  'COSTAKE.NOT_ACTIVE',
  'COSTAKE.NOT_EXITING',
  'COSTAKE.COOLDOWN_ACTIVE',
  'COSTAKE.LEASED',
  'SLASH.EXISTS',
  'SLASH.NOT_FOUND',
  'SLASH.AMOUNT_NOT_POSITIVE',
  'SLASH.EXCEEDS_STAKE',
  'SLASH.APPEAL_WINDOW_CLOSED',
  'SLASH.APPEAL_WINDOW_OPEN',
  'SLASH.NOT_OPEN',
  'SLASH.NOT_APPEALED',
  'SLASH.BEFORE_SLASH',
  'SLASH.BEFORE_APPEAL',
  'PARAMS.INVALID',
  'PARAMS.INVALID_TIME',
  'PARAMS.RETROACTIVE',
  'PARAMS.CHANGE_ID_CONFLICT',
  'REWARDS.INVALID_INPUT',
  'REWARDS.UNKNOWN_POOL',
  'EMISSION.INVALID_EPOCH',
  'EMISSION.INVALID_TIME',
  'GPU.UNKNOWN_MODEL',
  'FEES.INVALID_INPUT',
] as const;

export type TokenomicsErrorCode = (typeof TOKENOMICS_ERROR_CODES)[number];

/** An expected refusal with a stable code; mapped to problem+json at the edge. */
export class TokenomicsError extends CodedError {
  override readonly name = 'TokenomicsError';
  get kind(): ErrorKind {
    return kindOfReason(this.code);
  }


  constructor(
    readonly code: TokenomicsErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
