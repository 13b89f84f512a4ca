import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from './scopes';

/** `ionet_<scope>_<43 base64url chars = 256 random bits>`: the only shape an issued key has. */
const KEY_PATTERN = /^ionet_(?:ops|supplier|customer|partner_network)_[A-Za-z0-9_-]{43}$/;

const RANDOM_PART_LENGTH = 43;

/** The longest issued key (`ionet_partner_network_` + 43); anything longer is refused unread. */
export const API_KEY_LENGTH_MAX = 'ionet_partner_network_'.length + 43;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key: `ionet_<scope>_<43 base64url chars = 256 random bits>`. */
export function generateApiKey(primaryScope: Scope): string {
  return `ionet_${primaryScope}_${randomBytes(32).toString('base64url')}`;
}

/** The format check that runs before any lookup: a malformed key costs no hash and no database. */
export function looksLikeApiKey(key: string): boolean {
  return key.length <= API_KEY_LENGTH_MAX && KEY_PATTERN.test(key);
}

/** The first characters of a key, shown to people to tell keys apart (never enough to use it). */
export function displayPrefixOf(key: string): string {
  // The random part may itself hold '_': count from the end, where its 43 characters are.
  return key.slice(0, Math.max(0, key.length - RANDOM_PART_LENGTH) + 4);
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
