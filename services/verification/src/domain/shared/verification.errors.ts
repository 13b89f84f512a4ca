import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

/** An expected refusal of a verification command, with a stable code (problem+json at the edge). */
export class VerificationError extends CodedError {
  readonly kind: ErrorKind;

  constructor(
    readonly code: VerificationErrorCode,
    readonly detail: string,
    readonly context: Record<string, unknown> = {},
    kind?: ErrorKind,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'VerificationError';
    this.kind = kind ?? kindOfReason(code);
  }
}

export type VerificationErrorCode =
  | 'VERIFICATION.CHAIN_BROKEN'
  | 'VERIFICATION.HEARTBEAT_INVALID'
  | 'VERIFICATION.HEARTBEAT_FOREIGN_DEVICE'
  | 'VERIFICATION.BATCH_INVALID'
  | 'VERIFICATION.DEVICE_DISQUALIFIED'
  | 'VERIFICATION.CHALLENGE_NOT_FOUND'
  | 'VERIFICATION.CHALLENGE_NOT_OUTSTANDING'
  | 'VERIFICATION.RESULT_INVALID'
  | 'VERIFICATION.JOB_NOT_FOUND'
  | 'VERIFICATION.JOB_EVENTS_INVALID'
  | 'VERIFICATION.DEVICE_NOT_FOUND'
  | 'VERIFICATION.EPOCH_INVALID'
  | 'VERIFICATION.LEASE_HOUR_NOT_FOUND'
  | 'VERIFICATION.QUERY_INVALID';
