/** An expected refusal: a stable machine-readable code (`LEASE.NOT_FUNDED`), a human detail, and
 *  optional structured context. Domain code throws these; one mapper turns them into problem+json. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'DomainError';
  }
}

/** The HTTP status of each domain error kind, chosen once. Codes are `AREA.REASON`; a service
 *  registers the reason suffixes it uses with the status that fits. */
export type ProblemKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'rate_limited' | 'unavailable';

export const PROBLEM_STATUS: Record<ProblemKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};
