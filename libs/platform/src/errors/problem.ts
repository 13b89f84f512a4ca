import { CodedError, type ErrorKind } from '@ionet/errors';
import { PROBLEM_STATUS, type ProblemKind } from './domain-error';

/** RFC 9457 problem details, with our stable `code` extension member. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://docs.ionet.local/problems/';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail?: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: `${PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    ...(detail === undefined ? {} : { detail }),
    ...extra,
  };
}

/** An error that already knows its problem: thrown by the platform's own guards and interceptors. */
export class ProblemError extends CodedError {
  constructor(readonly problem: Problem) {
    super(`${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = 'ProblemError';
  }

  get code(): string {
    return this.problem.code;
  }

  get kind(): ErrorKind {
    return kindOfStatus(this.problem.status);
  }

  static of(kind: ProblemKind, code: string, detail: string, extra: Partial<Problem> = {}): ProblemError {
    return new ProblemError(problem(PROBLEM_STATUS[kind], code, detail, extra));
  }
}

/** The kind an HTTP status stands for (the inverse of PROBLEM_STATUS; 503 is a fault of ours). */
export function kindOfStatus(status: number): ErrorKind {
  switch (status) {
    case 400:
      return 'invalid';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'fault' : status === 422 ? 'refused' : 'invalid';
  }
}
