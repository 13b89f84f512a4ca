import { ConfigError } from '../config/config';

/** Ops keys that were published somewhere (compose files, tests, docs): never valid in production. */
const KNOWN_OPS_KEYS = new Set(['ionet_ops_compose-development-key-change-me-000000', 'ionet_ops_test-bootstrap-key-0000000000000000000000']);
const KNOWN_FRAGMENTS = ['change-me', 'changeme', 'example', 'password', 'secret', 'test', 'default', 'development'];

/** A bootstrap ops key needs at least this many bits by a character-frequency estimate (a random
 *  `ionet_ops_` key has about 200). */
export const OPS_KEY_ENTROPY_BITS_MIN = 128;

/** Estimated entropy: length times the Shannon entropy of the key's own character frequencies.
 *  Repetition, short alphabets and words score low; 43 random base64url characters score ~200. */
export function estimatedEntropyBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const c of secret) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / secret.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * secret.length;
}

/** A block repeated (`abab...`) or mostly runs of consecutive characters (`0123...`): the
 *  frequency estimate cannot see either. */
function isPatterned(secret: string): boolean {
  for (let period = 1; period <= secret.length / 2; period++) {
    let repeats = true;
    for (let i = period; i < secret.length && repeats; i++) repeats = secret[i] === secret[i - period];
    if (repeats) return true;
  }
  let steps = 0;
  for (let i = 1; i < secret.length; i++) if (Math.abs(secret.charCodeAt(i) - secret.charCodeAt(i - 1)) === 1) steps++;
  return steps > secret.length / 4;
}

/** Why this key must not guard production, or undefined when it may. */
export function opsKeyWeakness(key: string): string | undefined {
  const secret = key.startsWith('ionet_ops_') ? key.slice('ionet_ops_'.length) : key;
  if (KNOWN_OPS_KEYS.has(key)) return 'is a published development key';
  const lower = secret.toLowerCase();
  const fragment = KNOWN_FRAGMENTS.find((f) => lower.includes(f));
  if (fragment) return `contains "${fragment}"`;
  if (isPatterned(secret)) return 'is a repeated or sequential pattern';
  const bits = estimatedEntropyBits(secret);
  if (bits < OPS_KEY_ENTROPY_BITS_MIN) return `is too predictable (about ${Math.floor(bits)} bits; ${OPS_KEY_ENTROPY_BITS_MIN} needed: use 32 random bytes)`;
  return undefined;
}

/** In production a known or low-entropy OPS_BOOTSTRAP_API_KEY refuses the start (exit 78). */
export function assertOpsKeyFitFor(nodeEnv: string, key: string | undefined): void {
  if (nodeEnv !== 'production' || key === undefined) return;
  const weakness = opsKeyWeakness(key);
  if (weakness) throw new ConfigError([{ variable: 'OPS_BOOTSTRAP_API_KEY', message: `${weakness}; production refuses it` }]);
}
