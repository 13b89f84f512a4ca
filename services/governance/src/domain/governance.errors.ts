import { CodedError, kindOfReason, type ErrorKind } from '@ionet/errors';

/** An expected refusal of a governance command, with a stable code (problem+json at the edge). */
export class GovernanceError extends CodedError {
  readonly kind: ErrorKind;

  constructor(
    readonly code: GovernanceErrorCode,
    readonly detail: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.kind = CODE_KINDS[code] ?? kindOfReason(code);
  }
}

export type GovernanceErrorCode =
  | 'GOVERNANCE.PROPOSAL_ALREADY_EXISTS'
  | 'GOVERNANCE.PROPOSAL_NOT_FOUND'
  | 'GOVERNANCE.INSUFFICIENT_STAKE'
  | 'GOVERNANCE.INVALID_PROPOSAL'
  | 'GOVERNANCE.UNKNOWN_PARAMETER'
  | 'GOVERNANCE.PARAMETER_TYPE_MISMATCH'
  | 'GOVERNANCE.PARAMETER_OUT_OF_BOUNDS'
  | 'GOVERNANCE.VOTING_CLOSED'
  | 'GOVERNANCE.VOTING_OPEN'
  | 'GOVERNANCE.NO_VOTING_POWER'
  | 'GOVERNANCE.NOT_PASSED'
  | 'GOVERNANCE.TIMELOCK_NOT_ELAPSED'
  | 'GOVERNANCE.CANCEL_NOT_ALLOWED';

const CODE_KINDS: Partial<Record<GovernanceErrorCode, ErrorKind>> = {
  'GOVERNANCE.INSUFFICIENT_STAKE': 'forbidden',
  'GOVERNANCE.NO_VOTING_POWER': 'forbidden',
  'GOVERNANCE.INVALID_PROPOSAL': 'invalid',
  'GOVERNANCE.UNKNOWN_PARAMETER': 'invalid',
  'GOVERNANCE.PARAMETER_TYPE_MISMATCH': 'invalid',
  'GOVERNANCE.PARAMETER_OUT_OF_BOUNDS': 'invalid',
  'GOVERNANCE.VOTING_CLOSED': 'conflict',
  'GOVERNANCE.VOTING_OPEN': 'conflict',
  'GOVERNANCE.NOT_PASSED': 'conflict',
  'GOVERNANCE.TIMELOCK_NOT_ELAPSED': 'conflict',
  'GOVERNANCE.CANCEL_NOT_ALLOWED': 'conflict',
};
