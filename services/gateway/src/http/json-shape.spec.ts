import fc from 'fast-check';
import { isJsonContentType, jsonShape } from './json-shape';

const shape = (text: string, depthMax = 32) => jsonShape(Buffer.from(text), depthMax);

describe('jsonShape', () => {
  it('accepts objects and arrays within the depth limit', () => {
    expect(shape('{"a":{"b":[1,2,{"c":null}]}}')).toBe('ok');
    expect(shape('  \n[{"x":1}]')).toBe('ok');
    expect(shape('{"a":{"b":{"c":1}}}', 3)).toBe('ok');
  });

  it('refuses a body that is not an object or an array', () => {
    for (const text of ['null', '"x"', '1', 'true', '', '   ', '\ufeff{}', 'not json']) expect(shape(text)).toBe('not_an_object');
  });

  it('refuses nesting deeper than the limit, however it is spelled', () => {
    expect(shape('{"a":{"b":{"c":{"d":1}}}}', 3)).toBe('too_deep');
    expect(shape('['.repeat(5_000) + ']'.repeat(5_000))).toBe('too_deep');
    expect(shape('['.repeat(5_000))).toBe('too_deep');
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(shape(JSON.stringify({ text: '[[[[[[[[[[{{{{{{{{' }), 2)).toBe('ok');
    expect(shape(JSON.stringify({ text: 'say \\"[[[[[[[[[[\\"' }), 2)).toBe('ok');
  });

  it('agrees with JSON.parse on the depth of any JSON value', () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0);
    fc.assert(
      fc.property(fc.oneof(fc.array(fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue())), fc.integer({ min: 1, max: 6 }), (value, limit) => {
        const expected = depthOf(value) > limit ? 'too_deep' : 'ok';
        expect(shape(JSON.stringify(value), limit)).toBe(expected);
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('knows JSON media types', () => {
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/merge-patch+json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});
