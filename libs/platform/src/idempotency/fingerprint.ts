import { createHash } from 'node:crypto';

/** A request's identity for Idempotency-Key reuse checks: method, path and the body's raw bytes
 *  (Stripe's rule: a retry sends the same bytes). Hashing bytes never walks the parsed object, so
 *  no body shape (5,000 levels of nesting) can make it throw. */
export function requestFingerprint(method: string, path: string, rawBody: Buffer | string | undefined): string {
  const hash = createHash('sha256').update(`${method.toUpperCase()} ${path}\n`);
  if (rawBody !== undefined) hash.update(rawBody);
  return hash.digest('hex');
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}
