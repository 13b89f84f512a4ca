import { isValidIdempotencyKey, requestFingerprint } from './fingerprint';

describe('request fingerprint', () => {
  it('is the same for the same bytes, method (any case) and path', () => {
    expect(requestFingerprint('POST', '/v1/suppliers', Buffer.from('{"name":"x"}'))).toBe(requestFingerprint('post', '/v1/suppliers', '{"name":"x"}'));
  });

  it('differs when the bytes, the path or the method differ', () => {
    const base = requestFingerprint('POST', '/v1/suppliers', '{"name":"x","tags":[1,2]}');
    expect(requestFingerprint('POST', '/v1/suppliers', '{"name":"y","tags":[1,2]}')).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/devices', '{"name":"x","tags":[1,2]}')).not.toBe(base);
    expect(requestFingerprint('PUT', '/v1/suppliers', '{"name":"x","tags":[1,2]}')).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/suppliers', '{"tags":[1,2],"name":"x"}')).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/suppliers', undefined)).not.toBe(requestFingerprint('POST', '/v1/suppliers', ''.padEnd(1)));
  });

  it('hashes a 10 KB body nested 5,000 levels deep without walking it', () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    expect(requestFingerprint('POST', '/v1/suppliers', deep)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts printable keys up to 255 characters only', () => {
    expect(isValidIdempotencyKey('0190b1f2-7c1e-7000-8000-000000000001')).toBe(true);
    expect(isValidIdempotencyKey('')).toBe(false);
    expect(isValidIdempotencyKey('has space')).toBe(false);
    expect(isValidIdempotencyKey('x'.repeat(256))).toBe(false);
  });
});
