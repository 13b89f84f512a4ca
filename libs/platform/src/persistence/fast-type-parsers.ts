import { types } from 'pg';

const TIMESTAMPTZ = 1184;
const INT2 = 21;
const INT4 = 23;

const DIGIT_0 = 48;
const digitAt = (s: string, i: number): number => {
  const d = s.charCodeAt(i) - DIGIT_0;
  return d >= 0 && d <= 9 ? d : NaN;
};
const twoDigits = (s: string, i: number): number => digitAt(s, i) * 10 + digitAt(s, i + 1);

const defaultTimestamptz = types.getTypeParser(TIMESTAMPTZ, 'text') as (value: string) => unknown;

/**
 * PostgreSQL's text form of a timestamptz (`2026-12-01 14:17:10.123456+00`, `...+05:30`) read by
 * position instead of postgres-date's three regular expressions: the same Date, to the millisecond,
 * truncated as postgres-date truncates. Anything else (BC, infinity, years before 1000 or after
 * 9999, offsets with seconds) goes to postgres-date itself.
 */
export function parseTimestamptz(value: string): unknown {
  const n = value.length;
  if (n >= 22 && n <= 35 && value.charCodeAt(4) === 45 && value.charCodeAt(7) === 45 && value.charCodeAt(10) === 32 && value.charCodeAt(13) === 58 && value.charCodeAt(16) === 58) {
    const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
    const month = twoDigits(value, 5);
    const day = twoDigits(value, 8);
    const hour = twoDigits(value, 11);
    const minute = twoDigits(value, 14);
    const second = twoDigits(value, 17);
    let i = 19;
    let ms = 0;
    if (value.charCodeAt(i) === 46) {
      let j = i + 1;
      while (j < n && !Number.isNaN(digitAt(value, j))) j++;
      if (j === i + 1 || j - i - 1 > 6) return defaultTimestamptz(value);
      // postgres-date: 1000 * parseFloat('.123456'), truncated by Date.UTC.
      ms = 1000 * Number(value.slice(i, j));
      i = j;
    }
    const sign = value.charCodeAt(i);
    let offsetMinutes = NaN;
    if ((sign === 43 || sign === 45) && (n === i + 3 || (n === i + 6 && value.charCodeAt(i + 3) === 58))) {
      offsetMinutes = twoDigits(value, i + 1) * 60 + (n === i + 6 ? twoDigits(value, i + 4) : 0);
      if (sign === 45) offsetMinutes = -offsetMinutes;
    }
    if (year >= 1000 && ![offsetMinutes, month, day, hour, minute, second].some(Number.isNaN)) {
      return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
    }
  }
  return defaultTimestamptz(value);
}

/** int2 and int4 arrive as canonical decimal text: Number() reads them as parseInt() does, faster. */
function parseInt4(value: string): number {
  return Number(value);
}

/** The type parsers of a hot read: pg's defaults except timestamptz and int2/int4 (same values, less work). */
export const fastTypeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (format === undefined || format === 'text') {
      if (oid === TIMESTAMPTZ) return parseTimestamptz;
      if (oid === INT4 || oid === INT2) return parseInt4;
    }
    return types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};
