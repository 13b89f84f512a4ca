import { VALIDATION_ERRORS_REPORTED_MAX, serializeReply } from './reply-serializer';

describe('serializeReply', () => {
  it('writes a body without bigints exactly as JSON.stringify does', () => {
    const body = { items: [{ id: 'a', n: 1, at: new Date(0), nested: { ok: true, none: null } }], nextCursor: null };
    expect(serializeReply(body)).toBe(JSON.stringify(body));
  });

  it('writes bigints anywhere in the body as exact decimal strings', () => {
    const amount = 2n ** 64n + 1n;
    const body = { amountBaseUnits: amount, items: [{ offset: 9_007_199_254_740_993n }], plain: 1 };
    expect(JSON.parse(serializeReply(body))).toEqual({ amountBaseUnits: '18446744073709551617', items: [{ offset: '9007199254740993' }], plain: 1 });
  });

  it('keeps a toJSON result and a bigint beside it', () => {
    const body = { at: new Date(Date.UTC(2026, 0, 1)), v: 3n };
    expect(JSON.parse(serializeReply(body))).toEqual({ at: '2026-01-01T00:00:00.000Z', v: '3' });
  });

  it('caps a problem listing more field errors than reported, counting the rest', () => {
    const errors = Array.from({ length: VALIDATION_ERRORS_REPORTED_MAX + 7 }, (_, i) => ({ field: `f${i}` }));
    const out = JSON.parse(serializeReply({ status: 400, code: 'REQUEST.INVALID', errors, big: 1n }));
    expect(out.errors).toHaveLength(VALIDATION_ERRORS_REPORTED_MAX);
    expect(out.errorsOmitted).toBe(7);
    expect(out.big).toBe('1');
  });

  it('still refuses a cycle (a bug, not a body)', () => {
    const body: Record<string, unknown> = { a: 1 };
    body.self = body;
    expect(() => serializeReply(body)).toThrow(TypeError);
  });

  it('writes strings and nothing as Fastify expects', () => {
    expect(serializeReply('x')).toBe('"x"');
    expect(serializeReply(null)).toBe('null');
  });
});
