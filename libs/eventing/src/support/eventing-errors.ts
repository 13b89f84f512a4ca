import { RpcException } from '@nestjs/microservices';
import { ContractError } from '@ionet/contracts';
import { CodedError, type ErrorKind } from '@ionet/errors';

export const EVENTING_ERROR_CODES = {
  versionConflict: 'EVENT_STORE.VERSION_CONFLICT',
  unknownEventType: 'EVENT_STORE.UNKNOWN_EVENT_TYPE',
  deadLetterNotFound: 'DEAD_LETTER.NOT_FOUND',
  deadLetterNoConsumer: 'DEAD_LETTER.NO_CONSUMER',
  deadLetterRedriveFailed: 'DEAD_LETTER.REDRIVE_FAILED',
  projectionHashMismatch: 'PROJECTION.STATE_HASH_MISMATCH',
  projectionNotCaughtUp: 'PROJECTION.REBUILD_NOT_CAUGHT_UP',
  transactionRolledBack: 'TRANSACTION.ROLLED_BACK',
  /** EventStore.append in a consumer transaction that declared it never appends (ADR 0221). */
  appendRefused: 'EVENT_STORE.APPEND_REFUSED',
} as const;

/** The codes of the eventing library a caller can cause; any other is a fault of ours. */
const EVENTING_ERROR_KINDS: Record<string, ErrorKind> = {
  'EVENT_STORE.VERSION_CONFLICT': 'conflict',
  'DEAD_LETTER.NOT_FOUND': 'not_found',
  'DEAD_LETTER.BAD_CURSOR': 'invalid',
  'DEAD_LETTER.NO_CONSUMER': 'conflict',
  'DEAD_LETTER.REDRIVE_FAILED': 'conflict',
  'PROJECTION.NOT_FOUND': 'not_found',
  'PROJECTION.REBUILD_IN_PROGRESS': 'conflict',
};

export class EventingError extends CodedError {
  get kind(): ErrorKind {
    return EVENTING_ERROR_KINDS[this.code] ?? 'fault';
  }

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Optimistic concurrency: the stream moved since the caller read it. Reload, decide again, retry. */
export class EventStoreConcurrencyError extends EventingError {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: bigint | 'any',
    readonly actualVersion: bigint | undefined,
    reason = 'version conflict',
    /** The stream's head was appended by a transaction newer than the caller's: the caller's
     *  transaction can never append to it (ADR 0200); only a new transaction can. */
    readonly transactionTooOld = false,
  ) {
    super(EVENTING_ERROR_CODES.versionConflict, `stream ${streamId}: ${reason} (expected ${String(expectedVersion)}, actual ${actualVersion === undefined ? 'unknown' : String(actualVersion)})`);
  }
}

const CONTRACT_VIOLATION_MARK = 'ionetContractViolation';

/** Thrown by a handler for an event that breaks its contract in a way decoding could not see
 *  (e.g. a reference to an aggregate that cannot exist). The consumer dead-letters the message and
 *  moves on. It extends RpcException so Nest's RPC exception filter passes it through to the
 *  transport instead of replacing it with "Internal server error". */
export class ContractViolation extends RpcException {
  readonly code: string;
  constructor(message: string, code = 'CONTRACT.VIOLATION') {
    super({ [CONTRACT_VIOLATION_MARK]: true, status: 'error', code, message });
    this.code = code;
    this.message = message;
    this.name = 'ContractViolation';
  }
}

export interface ContractFailure {
  code: string;
  message: string;
}

/** A contract failure (dead-letter it) as opposed to anything else (retry it: a database or broker
 *  fault, or a bug that a fix and a restart will clear). Recognises the marked object that Nest's
 *  RPC exception filter turns a ContractViolation into. */
export function asContractFailure(err: unknown): ContractFailure | undefined {
  if (err instanceof ContractViolation || err instanceof ContractError) return { code: err.code, message: err.message };
  if (typeof err === 'object' && err !== null && (err as Record<string, unknown>)[CONTRACT_VIOLATION_MARK] === true) {
    const marked = err as { code?: unknown; message?: unknown };
    return { code: String(marked.code ?? 'CONTRACT.VIOLATION'), message: String(marked.message ?? '') };
  }
  return undefined;
}

/** A failure that repeats on every delivery of the same message, so retrying only stalls the
 *  partition: a contract failure, or a PostgreSQL data exception (SQLSTATE class 22: a value out of
 *  range for its column, bad text for its type) or integrity violation (class 23: not null, check,
 *  foreign key, unique) raised while applying it. The consumer dead-letters the message and moves on;
 *  every other failure (connections, timeouts, deadlocks, bugs) is retried. */
export function asPoisonFailure(err: unknown): ContractFailure | undefined {
  const contract = asContractFailure(err);
  if (contract) return contract;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; message?: unknown; severity?: unknown };
  // pg's DatabaseError carries a severity; a bare `code` elsewhere (Node's 'ERR_…') never matches.
  if (typeof e.code === 'string' && /^2[23][0-9A-Z]{3}$/.test(e.code) && typeof e.severity === 'string') {
    return { code: `DATA.SQLSTATE_${e.code}`, message: String(e.message ?? '') };
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
