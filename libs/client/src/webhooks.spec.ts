import { Webhook } from 'standardwebhooks';
import { signWebhook, verifyWebhook, WebhookVerificationError } from './webhooks';

// A Standard Webhooks secret: whsec_ and 24 random bytes in base64.
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const other = 'whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE=';
const now = new Date('2026-12-01T12:00:00Z');
const body = JSON.stringify({ type: 'cluster.funded', timestamp: now.toISOString(), data: { clusterId: 'c-1' } });

function headersFrom(signature: string, id = 'msg_2Lz', at = now): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
}

describe('webhook verification (Standard Webhooks)', () => {
  it('signs exactly as the official standardwebhooks package does', () => {
    expect(signWebhook(secret, 'msg_2Lz', now, body)).toBe(new Webhook(secret).sign('msg_2Lz', now, body));
  });

  it('accepts what the official package signs, and gives id, time, type and data', () => {
    const headers = headersFrom(new Webhook(secret).sign('msg_2Lz', now, body));
    expect(verifyWebhook(secret, headers, body, { now })).toEqual({ id: 'msg_2Lz', timestamp: now, type: 'cluster.funded', data: { clusterId: 'c-1' } });
    expect(verifyWebhook(secret, new Headers(headers), body, { now }).id).toBe('msg_2Lz');
  });

  it('accepts any of several signatures (a secret rotation) and refuses when none matches', () => {
    const both = `${signWebhook(other, 'msg_2Lz', now, body)} ${signWebhook(secret, 'msg_2Lz', now, body)}`;
    expect(verifyWebhook(secret, headersFrom(both), body, { now }).type).toBe('cluster.funded');
    expect(() => verifyWebhook(secret, headersFrom(signWebhook(other, 'msg_2Lz', now, body)), body, { now })).toThrow('no signature matches');
  });

  it('refuses a changed body, another id, a stale or future timestamp, and missing headers', () => {
    const signature = signWebhook(secret, 'msg_2Lz', now, body);
    expect(() => verifyWebhook(secret, headersFrom(signature), body.replace('c-1', 'c-2'), { now })).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(secret, headersFrom(signature, 'msg_other'), body, { now })).toThrow('no signature matches');
    expect(() => verifyWebhook(secret, headersFrom(signature), body, { now: new Date(now.getTime() + 301_000) })).toThrow('more than 300 s');
    expect(() => verifyWebhook(secret, headersFrom(signature), body, { now: new Date(now.getTime() - 301_000) })).toThrow('more than 300 s');
    expect(() => verifyWebhook(secret, { 'webhook-id': 'msg_2Lz' }, body, { now })).toThrow('missing');
    expect(() => verifyWebhook(secret, { ...headersFrom(signature), 'webhook-timestamp': '12e9' }, body, { now })).toThrow('not a number');
  });
});
