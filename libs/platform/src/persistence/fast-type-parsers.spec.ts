import { types } from 'pg';
import { fastTypeParsers, parseTimestamptz } from './fast-type-parsers';

const postgresDate = types.getTypeParser(1184, 'text') as (value: string) => unknown;

/** The values on which the two parsers disagree. */
function disagreements(values: Iterable<string>): string[] {
  const out: string[] = [];
  for (const value of values) {
    const fast = parseTimestamptz(value);
    const reference = postgresDate(value);
    const equal = reference instanceof Date ? fast instanceof Date && fast.getTime() === reference.getTime() : Object.is(fast, reference);
    if (!equal) out.push(value);
  }
  return out;
}

function same(value: string): void {
  const fast = parseTimestamptz(value);
  const reference = postgresDate(value);
  if (reference instanceof Date) {
    expect(fast).toBeInstanceOf(Date);
    expect({ value, time: (fast as Date).getTime() }).toEqual({ value, time: reference.getTime() });
  } else {
    expect({ value, parsed: fast }).toEqual({ value, parsed: reference });
  }
}

describe('fast type parsers', () => {
  it('read timestamptz text exactly as postgres-date does', () => {
    const cases = [
      '2026-12-01 14:17:10+00',
      '2026-12-01 14:17:10.1+00',
      '2026-12-01 14:17:10.12+00',
      '2026-12-01 14:17:10.123+00',
      '2026-12-01 14:17:10.123456+00',
      '2026-12-01 14:17:10.999999+00',
      '2026-12-01 14:17:10.000001+00',
      '2026-12-01 14:17:10.57+00',
      '2026-12-01 14:17:10.29+00',
      '2026-12-01 14:17:10.123456+05:30',
      '2026-12-01 14:17:10.123456-03',
      '2026-12-01 00:00:00-09:30',
      '2024-02-29 23:59:59.5+14',
      '1970-01-01 00:00:00+00',
      '1000-01-01 00:00:00+00',
      '0999-12-31 23:59:59+00',
      '0050-06-01 12:00:00+00',
      '2026-12-01 14:17:10+00 BC',
      '2026-12-01 14:17:10+05:30:15',
      'infinity',
      '-infinity',
      '2026-12-01',
      '2026-12-01T14:17:10Z',
    ];
    for (const value of cases) same(value);
  });

  it('agrees on millisecond fractions of 1 to 6 digits (postgres-date multiplies a float)', () => {
    const values: string[] = [];
    for (let digits = 1; digits <= 6; digits++) {
      // Every fraction up to five digits; every 7th of six (the suite stays fast).
      for (let f = 0; f < 10 ** digits; f += digits === 6 ? 7 : 1) values.push(`2026-12-01 14:17:10.${String(f).padStart(digits, '0')}+00`);
    }
    expect(disagreements(values)).toEqual([]);
  });

  it('agrees over a spread of instants and offsets', () => {
    const values: string[] = [];
    for (let t = Date.UTC(1990, 0, 1); t < Date.UTC(2040, 0, 1); t += 86_400_000 + 3_723_457) {
      const iso = new Date(t).toISOString();
      for (const offset of ['+00', '-07', '+05:45']) values.push(`${iso.slice(0, 10)} ${iso.slice(11, 23)}${offset}`);
    }
    expect(disagreements(values)).toEqual([]);
  });

  it('reads int2 and int4 as pg does, and leaves every other type to pg', () => {
    for (const oid of [21, 23]) {
      for (const value of ['0', '-1', '42', '2147483647', '-2147483648']) expect(fastTypeParsers.getTypeParser(oid)(value)).toBe(types.getTypeParser(oid, 'text')(value));
    }
    for (const oid of [20, 25, 1700, 16, 2950, 1114]) expect(fastTypeParsers.getTypeParser(oid, 'text')).toBe(types.getTypeParser(oid, 'text'));
  });
});
