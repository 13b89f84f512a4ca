import { HttpException } from '@nestjs/common';
import { CodedError, ERROR_CODE_PATTERN, errorArea, errorReason, kindOfReason, type ErrorKind } from '@ionet/errors';
import { DEFAULT_REASON_KINDS, PROBLEM_STATUS, type ProblemKind } from './domain-error';
import { ProblemError, problem, type Problem } from './problem';

export { DEFAULT_REASON_KINDS };

/** Codes of the shared libraries whose kind is not what their area suggests. */
export const LIBRARY_CODE_KINDS: Record<string, ErrorKind> = {
  'EVENT_STORE.VERSION_CONFLICT': 'conflict',
  'PROJECTION.REBUILD_IN_PROGRESS': 'conflict',
  'PROJECTION.NOT_FOUND': 'not_found',
  'DEAD_LETTER.NOT_FOUND': 'not_found',
  'DEAD_LETTER.BAD_CURSOR': 'invalid',
  'DEAD_LETTER.BAD_LIMIT': 'invalid',
  'DEAD_LETTER.BAD_CONSUMER_GROUP': 'invalid',
  'DEAD_LETTER.NO_CONSUMER': 'conflict',
  // The consumer refused the re-driven message again: ops sees why, and the letter stays.
  'DEAD_LETTER.REDRIVE_FAILED': 'conflict',
  'PAGINATION.INVALID_CURSOR': 'invalid',
};

/** Areas whose errors are always ours (a library, a contract, the database, the configuration):
 *  a caller cannot cause them with a well-formed request, so they are logged 500s. */
export const FAULT_AREAS: ReadonlySet<string> = new Set([
  'TRANSACTION',
  'EVENT_STORE',
  'CONTRACT',
  'OUTBOX',
  'CONSUMER',
  'PROJECTION',
  'DEAD_LETTER',
  'CONFIG',
  'DATABASE',
  'QUEUE',
  'CLOCK',
]);

const INTERNAL_DETAIL = 'An unexpected error occurred; it has been logged.';

export class ProblemMapper {
  private readonly codeKinds: Record<string, ProblemKind>;
  private readonly reasonKinds: Record<string, ProblemKind>;

  /** `kinds` of this service: a full code (`LEASE.NOT_FUNDED`) or a reason (`NOT_FUNDED`). */
  constructor(kinds: Record<string, ProblemKind> = {}) {
    const entries = Object.entries(kinds);
    this.codeKinds = { ...LIBRARY_CODE_KINDS, ...Object.fromEntries(entries.filter(([k]) => k.includes('.'))) };
    this.reasonKinds = Object.fromEntries(entries.filter(([k]) => !k.includes('.')));
  }

  /** The one place any thrown value becomes problem+json. `internal` is true when the error is a
   *  fault of ours: logged with its stack, answered with no internals. */
  toProblem(error: unknown, instance?: string): { problem: Problem; internal: boolean } {
    const withInstance = (p: Problem): Problem => (instance ? { ...p, instance } : p);
    const internalProblem = () => ({ problem: withInstance(problem(500, 'INTERNAL', INTERNAL_DETAIL)), internal: true });
    // The platform's own problems are written for callers; a 5xx one (a dependency is down) is logged.
    if (error instanceof ProblemError) return { problem: withInstance(error.problem), internal: error.problem.status >= 500 };
    const coded = asCoded(error);
    if (coded) {
      const kind = this.kindOf(coded.code, coded.kind);
      const status = PROBLEM_STATUS[kind];
      if (status >= 500) return internalProblem();
      const context = coded.context && Object.keys(coded.context).length ? { context: coded.context } : {};
      return { problem: withInstance(problem(status, coded.code, coded.detail, context)), internal: false };
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      if (status >= 500) return internalProblem();
      const body = error.getResponse();
      const own = body as { code?: unknown; detail?: unknown };
      if (typeof own === 'object' && typeof own.code === 'string' && ERROR_CODE_PATTERN.test(own.code)) {
        // A library's HTTP error that already names its code (e.g. the dead-letter ops API); one that
        // wraps a fault of ours in a 4xx (a rolled-back transaction answered 409) is still a fault.
        if (this.kindOf(own.code, undefined) === 'fault') return internalProblem();
        return { problem: withInstance(problem(status, own.code, typeof own.detail === 'string' ? own.detail : error.message)), internal: false };
      }
      const detail = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? error.message);
      return { problem: withInstance(problem(status, httpCode(status), Array.isArray(detail) ? detail.join('; ') : String(detail))), internal: false };
    }
    const fastifyError = error as { statusCode?: number; code?: string; message?: string };
    if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      // Fastify's own refusals (malformed JSON, body too large, wrong content type).
      const code = fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'REQUEST.UNSUPPORTED_MEDIA_TYPE' : fastifyError.statusCode === 413 ? 'REQUEST.TOO_LARGE' : 'REQUEST.MALFORMED';
      return { problem: withInstance(problem(fastifyError.statusCode, code, fastifyError.message)), internal: false };
    }
    return internalProblem();
  }

  /** A service's own mapping wins, then the library table, then the error's declared kind; an error
   *  that declares none is a fault when its area is a library's, else judged by its reason. */
  kindOf(code: string, declared: ErrorKind | undefined): ProblemKind {
    const explicit = this.codeKinds[code] ?? this.reasonKinds[errorReason(code)];
    if (explicit) return explicit;
    if (declared) return declared;
    if (FAULT_AREAS.has(errorArea(code))) return 'fault';
    return kindOfReason(code);
  }
}

interface Coded {
  code: string;
  kind?: ErrorKind;
  detail: string;
  context?: Record<string, unknown>;
}

/** A CodedError, or (until every library error extends it) any Error carrying an `AREA.REASON` code. */
function asCoded(error: unknown): Coded | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, detail, context } = error as Error & { code?: unknown; detail?: unknown; context?: unknown };
  if (typeof code !== 'string' || !ERROR_CODE_PATTERN.test(code)) return undefined;
  return {
    code,
    ...(error instanceof CodedError ? { kind: error.kind } : {}),
    detail: typeof detail === 'string' ? detail : stripCode(error.message, code),
    context: context && typeof context === 'object' ? (context as Record<string, unknown>) : undefined,
  };
}

/** `LEDGER.UNBALANCED: legs differ` reads `legs differ` beside its code. */
function stripCode(message: string, code: string): string {
  return message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
}

function httpCode(status: number): string {
  switch (status) {
    case 400:
      return 'REQUEST.INVALID';
    case 401:
      return 'AUTH.UNAUTHENTICATED';
    case 403:
      return 'AUTH.FORBIDDEN';
    case 404:
      return 'ROUTE.NOT_FOUND';
    case 405:
      return 'ROUTE.METHOD_NOT_ALLOWED';
    case 409:
      return 'REQUEST.CONFLICT';
    case 413:
      return 'REQUEST.TOO_LARGE';
    case 415:
      return 'REQUEST.UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'REQUEST.RATE_LIMITED';
    default:
      return 'REQUEST.INVALID';
  }
}
