import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, secretFingerprint, signatureHeader, signatureOf } from './signature';

describe('Standard Webhooks signatures, checked by the official standardwebhooks package', () => {
  const body = JSON.stringify({ type: 'cluster.funded', timestamp: '2026-12-01T00:00:00.000Z', data: { clusterId: 'c-1' } });
  const id = 'msg_0195f0a0000070008000000000000001';
  const now = Math.floor(Date.now() / 1_000);

  it('issues whsec_ secrets of 32 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
    expect(secretFingerprint(secret)).toMatch(/^[0-9a-f]{8}$/);
  });

  it('signs so that the package verifies the message, and equals its own signature', () => {
    const secret = newWebhookSecret();
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': signatureHeader([secret], id, now, body) };
    const wh = new Webhook(secret);
    expect(wh.verify(body, headers)).toEqual(JSON.parse(body));
    expect(signatureOf(secret, id, now, body)).toBe(wh.sign(id, new Date(now * 1_000), body));
  });

  it('during a rotation both secrets verify the same header; a third does not', () => {
    const next = newWebhookSecret();
    const previous = newWebhookSecret();
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': signatureHeader([next, previous], id, now, body) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(next).verify(body, headers)).toBeTruthy();
    expect(new Webhook(previous).verify(body, headers)).toBeTruthy();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow('No matching signature found');
  });

  it('a changed body, id or timestamp fails verification', () => {
    const secret = newWebhookSecret();
    const signature = signatureHeader([secret], id, now, body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(body.replace('c-1', 'c-2'), { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': signature })).toThrow();
    expect(() => wh.verify(body, { 'webhook-id': `${id}x`, 'webhook-timestamp': String(now), 'webhook-signature': signature })).toThrow();
    expect(() => wh.verify(body, { 'webhook-id': id, 'webhook-timestamp': String(now + 1), 'webhook-signature': signature })).toThrow();
  });
});
