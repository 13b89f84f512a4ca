import { CodedError, kindOfReason, REASON_KINDS, type ErrorKind } from '@ionet/errors';

/** The kind of a reason, when the thrower does not name one (one table, in @ionet/errors). */
export const DEFAULT_REASON_KINDS: Readonly<Record<string, ErrorKind>> = REASON_KINDS;

/** An expected refusal: a stable machine-readable code (`LEASE.NOT_FUNDED`), a human detail, and
 *  optional structured context. Domain code throws these; one mapper turns them into problem+json. */
export class DomainError extends CodedError {
  readonly kind: ErrorKind;

  constructor(
    readonly code: string,
    readonly detail: string,
    readonly context: Record<string, unknown> = {},
    kind?: ErrorKind,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'DomainError';
    this.kind = kind ?? kindOfReason(code);
  }
}

/** The HTTP status of each kind, chosen once. `unprocessable` is the older name of `refused` and
 *  `unavailable` is the platform's own 503 (a dependency is down); neither is an error kind. */
export type ProblemKind = ErrorKind | 'unprocessable' | 'unavailable';

export const PROBLEM_STATUS: Record<ProblemKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  refused: 422,
  unprocessable: 422,
  rate_limited: 429,
  fault: 500,
  unavailable: 503,
};
