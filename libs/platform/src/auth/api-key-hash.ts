import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from './scopes';

const KEY_PATTERN = /^ionet_(ops|supplier|customer)_[A-Za-z0-9_-]{43}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key: `ionet_<scope>_<43 base64url chars = 256 random bits>`. */
export function generateApiKey(primaryScope: Scope): string {
  return `ionet_${primaryScope}_${randomBytes(32).toString('base64url')}`;
}

export function looksLikeApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
