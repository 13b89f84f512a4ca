import { canonicalJson, isValidIdempotencyKey, requestFingerprint } from './fingerprint';

describe('request fingerprint', () => {
  it('is the same for the same body in another key order', () => {
    const a = requestFingerprint('POST', '/v1/suppliers', { name: 'x', source: { kind: 'farm', tags: [2, 1] } });
    const b = requestFingerprint('post', '/v1/suppliers', { source: { tags: [2, 1], kind: 'farm' }, name: 'x' });
    expect(a).toBe(b);
  });

  it('differs when the body, the path or the order of an array differs', () => {
    const base = requestFingerprint('POST', '/v1/suppliers', { name: 'x', tags: [1, 2] });
    expect(requestFingerprint('POST', '/v1/suppliers', { name: 'y', tags: [1, 2] })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/devices', { name: 'x', tags: [1, 2] })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/suppliers', { name: 'x', tags: [2, 1] })).not.toBe(base);
  });

  it('writes canonical JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: { d: null, c: 'x' } })).toBe('{"a":{"c":"x","d":null},"b":1}');
  });

  it('accepts printable keys up to 255 characters only', () => {
    expect(isValidIdempotencyKey('0190b1f2-7c1e-7000-8000-000000000001')).toBe(true);
    expect(isValidIdempotencyKey('')).toBe(false);
    expect(isValidIdempotencyKey('has space')).toBe(false);
    expect(isValidIdempotencyKey('x'.repeat(256))).toBe(false);
  });
});
