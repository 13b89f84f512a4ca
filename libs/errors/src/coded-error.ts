/** What kind of failure an error is. The one problem mapper (libs/platform) turns a kind into an
 *  HTTP status; a consumer decides retry or dead-letter from it. A `fault` is our bug or an outage:
 *  logged, answered as a 500 that names no internals. Everything else is the caller's to fix. */
export const ERROR_KINDS = ['invalid', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'refused', 'rate_limited', 'fault'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** `AREA.REASON` (upper snake case, at least two parts): the stable, documented part of an error. */
export const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$/;

/** The one error base class. Subclasses keep their own constructors and code unions; they add the
 *  `kind` (a field, or a getter when it depends on the code). Domain folders may import this: it
 *  has no dependencies. */
export abstract class CodedError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isCodedError(value: unknown): value is CodedError {
  return value instanceof CodedError;
}

/** The area of a code (`LEDGER` of `LEDGER.UNBALANCED`). */
export function errorArea(code: string): string {
  const dot = code.indexOf('.');
  return dot < 0 ? code : code.slice(0, dot);
}

/** The reason of a code (`UNBALANCED` of `LEDGER.UNBALANCED`). */
export function errorReason(code: string): string {
  return code.slice(code.lastIndexOf('.') + 1);
}

/** The kind a reason conventionally names, for error classes whose codes share reasons across
 *  areas (`DEVICE.NOT_FOUND`, `LEDGER.ACCOUNT_NOT_FOUND`, `STAKE.DEVICE_EXISTS`); anything else is
 *  `fallback` (a refusal unless the class says otherwise). */
export const REASON_KINDS: Readonly<Record<string, ErrorKind>> = {
  NOT_FOUND: 'not_found',
  ALREADY_EXISTS: 'conflict',
  EXISTS: 'conflict',
  VERSION_CONFLICT: 'conflict',
  CONFLICT: 'conflict',
  FORBIDDEN: 'forbidden',
  INVALID: 'invalid',
};

export function kindOfReason(code: string, fallback: ErrorKind = 'refused'): ErrorKind {
  const reason = errorReason(code);
  const known = REASON_KINDS[reason] ?? Object.entries(REASON_KINDS).find(([suffix]) => reason.endsWith(`_${suffix}`))?.[1];
  return known ?? fallback;
}
