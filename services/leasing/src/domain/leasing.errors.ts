import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

/** An expected refusal of a leasing command, with a stable code (problem+json at the edge). */
export class LeasingError extends CodedError {
  readonly kind: ErrorKind;

  constructor(
    readonly code: LeasingErrorCode,
    readonly detail: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'LeasingError';
    this.kind = CODE_KINDS[code] ?? kindOfReason(code);
  }
}

export type LeasingErrorCode =
  | 'LEASING.QUOTE_NOT_FOUND'
  | 'LEASING.QUOTE_ALREADY_USED'
  | 'LEASING.QUOTE_EXPIRED'
  | 'LEASING.CLUSTER_NOT_FOUND'
  | 'LEASING.CLUSTER_NOT_ACTIVE'
  | 'LEASING.CLUSTER_ENDED'
  | 'LEASING.INVALID_HOURS'
  | 'LEASING.UNKNOWN_DEVICE'
  | 'LEASING.INVALID_QUERY';

/** Codes whose kind their reason does not name. QUOTE_EXPIRED is answered 410 by the edge (a kind
 *  has no "gone"); as a domain error it is a refusal. */
const CODE_KINDS: Partial<Record<LeasingErrorCode, ErrorKind>> = {
  'LEASING.QUOTE_ALREADY_USED': 'conflict',
  'LEASING.CLUSTER_NOT_ACTIVE': 'conflict',
  'LEASING.CLUSTER_ENDED': 'conflict',
  'LEASING.QUOTE_EXPIRED': 'refused',
  'LEASING.INVALID_HOURS': 'invalid',
  'LEASING.INVALID_QUERY': 'invalid',
  'LEASING.UNKNOWN_DEVICE': 'refused',
};
