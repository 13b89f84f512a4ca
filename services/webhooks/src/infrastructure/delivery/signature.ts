import { createHash, createHmac, randomBytes } from 'node:crypto';

/** Standard Webhooks secrets are `whsec_` + base64 of the key bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** 32 random bytes: as long as the HMAC-SHA256 block needs, and what Svix issues. */
const SECRET_BYTES = 32;

export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** Tells secrets apart in events and logs; 32 bits of a hash are nothing to sign with. */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}

/** Decoded keys by secret: every attempt signs, and the base64 decoding is the same each time.
 *  Bounded (STYLE.md): emptied when full, so a rotation's old secrets do not pile up. */
const keys = new Map<string, Buffer>();
const KEYS_CACHED_MAX = 10_000;

function keyOf(secret: string): Buffer {
  const cached = keys.get(secret);
  if (cached) return cached;
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
  if (key.length === 0) throw new Error('a webhook secret has key bytes after whsec_');
  if (keys.size >= KEYS_CACHED_MAX) keys.clear();
  keys.set(secret, key);
  return key;
}

/** `v1,<base64 HMAC-SHA256 over "id.timestamp.body">` with the secret's key bytes. */
export function signatureOf(secret: string, webhookId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${webhookId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header: one signature per live secret, space-separated (during a
 *  rotation's overlap the new secret's first, then the previous one's). */
export function signatureHeader(secrets: readonly string[], webhookId: string, timestampSeconds: number, body: string): string {
  if (secrets.length === 0) throw new Error('a delivery is signed with at least one secret');
  return secrets.map((s) => signatureOf(s, webhookId, timestampSeconds, body)).join(' ');
}
