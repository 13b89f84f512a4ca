import { createHmac, timingSafeEqual } from 'node:crypto';

/** The default window around now in which a webhook's timestamp is accepted (Standard Webhooks). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** A verified delivery: its id (the same on every retry: deduplicate on it), time and body. */
export interface VerifiedWebhook<Data = Record<string, unknown>> {
  id: string;
  timestamp: Date;
  type: string;
  data: Data;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('the secret is empty or not base64');
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, as the platform signs it. */
export function signWebhook(secret: string, id: string, timestamp: Date, body: string): string {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  return `v1,${createHmac('sha256', secretKey(secret)).update(`${id}.${seconds}.${body}`).digest('base64')}`;
}

/**
 * Verifies a delivery per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature;
 * HMAC-SHA256 with the endpoint's `whsec_` secret; any of several space-separated signatures may
 * match, as during a secret rotation) and parses its body. Pass the body exactly as received (the
 * raw string, not re-serialized JSON). Throws WebhookVerificationError when anything is off.
 */
export function verifyWebhook<Data = Record<string, unknown>>(
  secret: string,
  headers: HeaderSource,
  body: string,
  options: { toleranceSeconds?: number; now?: Date } = {},
): VerifiedWebhook<Data> {
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d{1,12}$/.test(timestampText)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  const seconds = Number(timestampText);
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - seconds) > tolerance) throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} s away from now`);
  const expected = Buffer.from(signWebhook(secret, id, new Date(seconds * 1000), body).slice('v1,'.length), 'base64');
  const matches = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('no signature matches');
  let parsed: { type?: unknown; data?: unknown };
  try {
    parsed = JSON.parse(body) as { type?: unknown; data?: unknown };
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
  if (typeof parsed.type !== 'string') throw new WebhookVerificationError('the body has no type');
  return { id, timestamp: new Date(seconds * 1000), type: parsed.type, data: (parsed.data ?? {}) as Data };
}
