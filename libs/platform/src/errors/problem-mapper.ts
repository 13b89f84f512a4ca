import { HttpException } from '@nestjs/common';
import { DomainError, PROBLEM_STATUS, type ProblemKind } from './domain-error';
import { ProblemError, problem, type Problem } from './problem';

/** Maps a domain error's reason (the part after the last '.') to its problem kind. Services add their own
 *  reasons; unknown reasons of a DomainError are 422 (a well-formed request the domain refused). */
export const DEFAULT_REASON_KINDS: Record<string, ProblemKind> = {
  NOT_FOUND: 'not_found',
  ALREADY_EXISTS: 'conflict',
  VERSION_CONFLICT: 'conflict',
  CONFLICT: 'conflict',
  FORBIDDEN: 'forbidden',
  INVALID: 'invalid',
};

export class ProblemMapper {
  private readonly reasonKinds: Record<string, ProblemKind>;

  constructor(reasonKinds: Record<string, ProblemKind> = {}) {
    this.reasonKinds = { ...DEFAULT_REASON_KINDS, ...reasonKinds };
  }

  /** The one place any thrown value becomes problem+json. `internal` is true when the error is a bug
   *  (logged with its stack; the client sees no internals). */
  toProblem(error: unknown, instance?: string): { problem: Problem; internal: boolean } {
    const withInstance = (p: Problem): Problem => (instance ? { ...p, instance } : p);
    if (error instanceof ProblemError) return { problem: withInstance(error.problem), internal: false };
    const coded = asCodedError(error);
    if (coded) {
      const reason = coded.code.slice(coded.code.lastIndexOf('.') + 1);
      const kind = this.reasonKinds[coded.code] ?? this.reasonKinds[reason] ?? 'unprocessable';
      const context = coded.context && Object.keys(coded.context).length ? { context: coded.context } : {};
      return { problem: withInstance(problem(PROBLEM_STATUS[kind], coded.code, coded.detail, context)), internal: false };
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      const own = body as { code?: unknown; detail?: unknown };
      if (typeof own === 'object' && typeof own.code === 'string' && DOMAIN_CODE.test(own.code)) {
        // A library's HTTP error that already names its code (e.g. the dead-letter ops API).
        return { problem: withInstance(problem(status, own.code, typeof own.detail === 'string' ? own.detail : error.message)), internal: status >= 500 };
      }
      const detail = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? error.message);
      return {
        problem: withInstance(problem(status, httpCode(status), Array.isArray(detail) ? detail.join('; ') : String(detail))),
        internal: status >= 500,
      };
    }
    const fastifyError = error as { statusCode?: number; code?: string; message?: string };
    if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      // Fastify's own refusals (malformed JSON, body too large, wrong content type).
      const code = fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'REQUEST.UNSUPPORTED_MEDIA_TYPE' : fastifyError.statusCode === 413 ? 'REQUEST.TOO_LARGE' : 'REQUEST.MALFORMED';
      return { problem: withInstance(problem(fastifyError.statusCode, code, fastifyError.message)), internal: false };
    }
    return { problem: withInstance(problem(500, 'INTERNAL', 'An unexpected error occurred; it has been logged.')), internal: true };
  }
}

const DOMAIN_CODE = /^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$/;

/** A DomainError, or any Error carrying an `AREA.REASON` code: the pure libraries and domain folders
 *  define their own typed errors without importing the platform (and Nest with it). */
function asCodedError(error: unknown): { code: string; detail: string; context?: Record<string, unknown> } | undefined {
  if (error instanceof DomainError) return error;
  if (!(error instanceof Error)) return undefined;
  const { code, detail, context } = error as Error & { code?: unknown; detail?: unknown; context?: unknown };
  if (typeof code !== 'string' || !DOMAIN_CODE.test(code)) return undefined;
  return {
    code,
    detail: typeof detail === 'string' ? detail : error.message,
    context: context && typeof context === 'object' ? (context as Record<string, unknown>) : undefined,
  };
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
    case 503:
      return 'SERVICE.UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'REQUEST.INVALID';
  }
}
