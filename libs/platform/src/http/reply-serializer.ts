/** A problem lists at most this many field errors; the rest are counted (a body of thousands of
 *  unknown fields must not answer megabytes). */
export const VALIDATION_ERRORS_REPORTED_MAX = 50;

function capReportedErrors(payload: unknown): unknown {
  const errors = (payload as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length <= VALIDATION_ERRORS_REPORTED_MAX) return payload;
  return { ...(payload as object), errors: errors.slice(0, VALIDATION_ERRORS_REPORTED_MAX), errorsOmitted: errors.length - VALIDATION_ERRORS_REPORTED_MAX };
}

const bigintAsDecimal = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

/**
 * Every reply body of a service. Exact integers (base units, offsets, versions) leave as decimal
 * strings, never as a 500. A replacer makes JSON.stringify call back into JavaScript for every
 * value of every reply (it was the hottest function of a read, ADR 0313), and almost no reply holds
 * a bigint: the plain stringify runs first, and only when it throws (a bigint is the one TypeError
 * a reply can raise besides a cycle) is the body written again with the replacer.
 */
export function serializeReply(payload: unknown): string {
  const body = capReportedErrors(payload);
  try {
    return JSON.stringify(body);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(body, bigintAsDecimal);
  }
}
